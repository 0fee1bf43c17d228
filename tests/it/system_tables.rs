//! System tables read only what a query asks for: filters the store evaluates exactly, a
//! sort on a key and a limit become part of the one store query (`EXPLAIN` shows it), and
//! results kept by catalog epoch never outlive a change.

use tokio_postgres::Client;

use crate::common::TestServer;
use crate::common::sources::{physical_plan, text_rows};

/// The store query of the physical plan of `sql`, and whether DataFusion still sorts.
async fn store_query(client: &Client, sql: &str) -> (String, bool) {
    let physical = physical_plan(client, sql, &[]).await;
    let query = physical
        .lines()
        .find_map(|l| l.split_once("query=").map(|(_, q)| q.trim().to_owned()))
        .unwrap_or_else(|| panic!("no store scan in {physical}"));
    (query, physical.contains("SortExec"))
}

async fn create_roles(client: &Client, n: usize) {
    let sql: String = (0..n).map(|i| format!("CREATE ROLE st_{i:02};")).collect();
    client.batch_execute(&sql).await.unwrap();
}

#[tokio::test]
async fn newest_events_are_read_by_key_order_and_limit_in_the_store() {
    let server = TestServer::start();
    let client = server.client().await;
    create_roles(&client, 12).await;

    let sql = "SELECT action, object_name FROM sluice.events \
               WHERE object_kind = 'role' AND object_name <> 'st_11' ORDER BY id DESC LIMIT 3";
    let rows = text_rows(&client, sql).await;
    assert_eq!(rows, [["create", "st_10"], ["create", "st_09"], ["create", "st_08"]]);
    let (query, sorts) = store_query(&client, sql).await;
    assert_eq!(
        query,
        "SELECT id, at, actor, action, object_kind, object_name, detail FROM events \
         WHERE \"object_kind\" = $1 AND \"object_name\" <> $2 ORDER BY \"id\" DESC LIMIT 3"
    );
    assert!(!sorts, "the store sorts, DataFusion does not");

    // A range on the key, with a bound parameter, and OFFSET.
    let first: i64 = client
        .query_one("SELECT min(id) FROM sluice.events WHERE object_name = 'st_00'", &[])
        .await
        .unwrap()
        .get(0);
    let names: Vec<String> = client
        .query(
            "SELECT object_name FROM sluice.events WHERE id > $1 AND object_kind = 'role' ORDER BY id LIMIT 2 OFFSET 1",
            &[&first],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["st_02", "st_03"]);
}

#[tokio::test]
async fn point_queries_are_indexed_lookups_and_other_filters_stay_correct() {
    let server = TestServer::start();
    let client = server.client().await;
    create_roles(&client, 12).await;
    client.batch_execute("ALTER ROLE st_05 LOGIN").await.unwrap();

    let lookup = "SELECT name, can_login FROM sluice.roles WHERE name = $1";
    let row = client.query_one(lookup, &[&"st_05"]).await.unwrap();
    assert_eq!((row.get::<_, String>(0), row.get::<_, bool>(1)), ("st_05".to_owned(), true));
    let (query, _) = store_query(&client, "SELECT name FROM sluice.roles WHERE name = 'st_05'").await;
    assert!(query.ends_with("FROM roles WHERE \"name\" = $1 ORDER BY name"), "{query}");
    // a bound parameter is pushed like a literal (the plan is optimized once it is bound)
    let physical = physical_plan(&client, "SELECT name FROM sluice.roles WHERE name = $1", &[&"st_05"]).await;
    assert!(physical.contains("FROM roles WHERE \"name\" = $1"), "{physical}");

    // Text ranges (the store's collation), LIKE (case-insensitive in SQLite) and computed
    // columns are DataFusion's: the store query has no WHERE, the answer is still right.
    let rows = text_rows(
        &client,
        "SELECT name FROM sluice.roles WHERE name > 'st_09' AND name LIKE 'st\\_1%' AND NOT has_password ORDER BY name",
    )
    .await;
    assert_eq!(rows, [["st_10"], ["st_11"]]);
    let (query, _) = store_query(&client, "SELECT name FROM sluice.roles WHERE name > 'st_09'").await;
    assert!(!query.contains("WHERE"), "{query}");

    // A boolean column, IN and IS NULL, pushed.
    let rows = text_rows(
        &client,
        "SELECT name FROM sluice.roles WHERE can_login AND name IN ('st_05', 'st_06', 'nobody') \
         AND created_at IS NOT NULL",
    )
    .await;
    assert_eq!(rows, [["st_05"]]);
    let (query, _) =
        store_query(&client, "SELECT name FROM sluice.roles WHERE can_login AND name IN ('a', 'b')").await;
    // (DataFusion turns a short IN list into ORs)
    assert!(query.contains("WHERE \"can_login\" = $1 AND (\"name\" = $2 OR \"name\" = $3)"), "{query}");
}

#[tokio::test]
async fn kept_results_never_outlive_a_change() {
    let server = TestServer::start();
    let client = server.client().await;
    let other = server.client().await;
    let lookup = "SELECT name, can_login FROM sluice.roles WHERE name = $1";
    assert!(client.query(lookup, &[&"late"]).await.unwrap().is_empty());
    assert!(client.query(lookup, &[&"late"]).await.unwrap().is_empty());

    other.batch_execute("CREATE ROLE late").await.unwrap();
    let row = client.query_one(lookup, &[&"late"]).await.unwrap();
    assert!(!row.get::<_, bool>(1));
    other.batch_execute("ALTER ROLE late LOGIN").await.unwrap();
    let row = client.query_one(lookup, &[&"late"]).await.unwrap();
    assert!(row.get::<_, bool>(1), "the change is visible to the next query");
    other.batch_execute("DROP ROLE late").await.unwrap();
    assert!(client.query(lookup, &[&"late"]).await.unwrap().is_empty());
}
