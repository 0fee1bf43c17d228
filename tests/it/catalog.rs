//! The catalog as tables: schema `sluice`, `information_schema`, `pg_catalog`.

use crate::common::TestServer;

const SYSTEM_TABLES: &[&str] = &[
    "columns",
    "deployments",
    "events",
    "grants",
    "lineage",
    "pipeline_versions",
    "pipelines",
    "role_members",
    "roles",
    "run_tasks",
    "runs",
    "schedule_tasks",
    "schedules",
    "secrets",
    "source_types",
    "sources",
    "sync_tables",
    "syncs",
    "tables",
    "targets",
];

#[tokio::test]
async fn system_tables_are_listed_with_their_columns() {
    let server = TestServer::start();
    let client = server.client().await;
    let names: Vec<String> = client
        .query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sluice' ORDER BY table_name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, SYSTEM_TABLES);
    let columns: Vec<String> = client
        .query(
            "SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid \
             JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
             WHERE n.nspname = 'sluice' AND c.relname = 'roles' AND a.attnum > 0 ORDER BY a.attnum",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(columns, ["name", "superuser", "can_login", "has_password", "created_at", "updated_at"]);
    // every system table can be read
    for table in SYSTEM_TABLES {
        client.query(&format!("SELECT * FROM sluice.{table}"), &[]).await.unwrap();
    }
}

#[tokio::test]
async fn a_change_to_the_store_is_visible_to_the_next_query() {
    let server = TestServer::start();
    let client = server.client().await;
    let count = "SELECT count(*) FROM sluice.roles";
    let before: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    // a second connection changes the catalog
    let other = server.client().await;
    other.batch_execute("CREATE ROLE visible_next LOGIN").await.unwrap();
    let after: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(after, before + 1);
    let events: Vec<(String, String, String)> = client
        .query(
            "SELECT actor, action, object_name FROM sluice.events WHERE object_kind = 'role' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        events.last().unwrap(),
        &("sluice".to_owned(), "create".to_owned(), "visible_next".to_owned())
    );
}

#[tokio::test]
async fn server_identity_functions_answer_like_postgres() {
    let server = TestServer::start();
    let client = server.client().await;
    let row = client
        .query_one("SELECT version(), current_database(), current_user, current_schema(), current_setting('server_version_num')", &[])
        .await
        .unwrap();
    let version: String = row.get(0);
    assert!(version.starts_with("PostgreSQL 16"), "{version}");
    assert_eq!(row.get::<_, String>(1), "sluice");
    assert_eq!(row.get::<_, String>(2), "sluice");
    // search_path is "$user", public and schema sluice exists: as in PostgreSQL, it comes first
    assert_eq!(row.get::<_, String>(3), "sluice");
    assert_eq!(row.get::<_, String>(4), "160006");
}
