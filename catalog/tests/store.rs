//! The store on SQLite (the integration suite runs the gateway on both backends).

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray, StringArray};
use sluice_catalog::system::SYSTEM_TABLES;
use sluice_catalog::{
    ColumnRecord, DeploymentChange, DeploymentState, JobEngine, NewDeployment, NewPipeline, NewRole,
    NewSource, PipelineEngine, PipelineMode, RoleChanges, SecretRecord, Store, StoreError, TableRecord,
};

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
    let store = Store::open(&url).await.unwrap();
    (dir, store)
}

fn role(name: &str) -> NewRole {
    NewRole {
        name: name.into(),
        can_login: true,
        password_verifier: Some("SCRAM-SHA-256$4096:x$y:z".into()),
        ..NewRole::default()
    }
}

#[tokio::test]
async fn roles_change_in_one_transaction_with_their_event() {
    let (_dir, store) = store().await;
    let epoch = store.epoch();
    store.create_role(&role("alice"), "tester").await.unwrap();
    assert!(store.epoch() > epoch, "a change moves the epoch");
    assert!(matches!(
        store.create_role(&role("alice"), "tester").await,
        Err(StoreError::AlreadyExists { .. })
    ));
    store
        .alter_role(
            "alice",
            &RoleChanges { superuser: Some(true), password_verifier: Some(None), ..Default::default() },
            "tester",
        )
        .await
        .unwrap();
    let alice = store.role("alice").await.unwrap().unwrap();
    assert!(alice.superuser && alice.password_verifier.is_none());
    assert!(matches!(
        store.alter_role("bob", &RoleChanges::default(), "t").await,
        Err(StoreError::NotFound { .. })
    ));
    store.rename_role("alice", "carol", "tester").await.unwrap();
    assert!(store.drop_role("carol", "tester").await.unwrap());
    assert!(!store.drop_role("carol", "tester").await.unwrap());

    let events = SYSTEM_TABLES.iter().find(|t| t.name == "events").unwrap();
    let batch = store.load_batch(&events.query(None, None, None), Arc::new(events.schema())).await.unwrap();
    let actions = batch.column(3).as_any().downcast_ref::<StringArray>().unwrap();
    let actions: Vec<&str> = (0..actions.len()).map(|i| actions.value(i)).collect();
    assert_eq!(actions, ["create", "alter", "rename", "drop"]);
}

#[tokio::test]
async fn the_first_superuser_is_created_once() {
    let (_dir, store) = store().await;
    assert!(store.bootstrap_role(&role("first")).await.unwrap());
    assert!(!store.bootstrap_role(&role("second")).await.unwrap());
    let names: Vec<String> = store.roles().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        ["first", "sluice_create_target"],
        "the predefined role does not stop the first superuser"
    );
}

#[tokio::test]
async fn every_system_table_loads_and_roles_hide_verifiers() {
    let (_dir, store) = store().await;
    store.create_role(&role("alice"), "tester").await.unwrap();
    for table in SYSTEM_TABLES {
        let schema = Arc::new(table.schema());
        let batch = store.load_batch(&table.query(None, None, None), schema.clone()).await.unwrap();
        assert_eq!(batch.schema(), schema, "{}", table.name);
        assert!(!table.sql.contains("password_verifier,"), "{} must not select verifiers", table.name);
    }
    let roles = SYSTEM_TABLES.iter().find(|t| t.name == "roles").unwrap();
    let batch = store.load_batch(&roles.query(None, None, None), Arc::new(roles.schema())).await.unwrap();
    let has_password = batch.column(3).as_any().downcast_ref::<BooleanArray>().unwrap();
    assert!(has_password.value(0));
}

#[tokio::test]
async fn reopening_keeps_the_catalog_and_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
    let store = Store::open(&url).await.unwrap();
    store.create_role(&role("kept"), "tester").await.unwrap();
    store.close().await;
    let again = Store::open(&url).await.unwrap();
    assert!(again.role("kept").await.unwrap().is_some());
}

#[tokio::test]
async fn a_pipeline_with_an_active_deployment_is_not_dropped() {
    let (_dir, store) = store().await;
    store.ensure_target("local", "local", "tester").await.unwrap();
    let pipeline = NewPipeline {
        name: "p".into(),
        engine: PipelineEngine::Flink,
        mode: PipelineMode::Batch,
        target: None,
        options: "{}".into(),
        body: "INSERT INTO out.t SELECT 1".into(),
        sources: Vec::new(),
        lineage: Vec::new(),
    };
    let version = store.put_pipeline(&pipeline, false, "tester").await.unwrap();
    let deployment = NewDeployment {
        pipeline: "p".into(),
        pipeline_version: version,
        target: "local".into(),
        engine: JobEngine::DataFusion,
        state: DeploymentState::Submitting,
        started_from: None,
    };
    let id = store.create_deployment(&deployment, "tester").await.unwrap();
    // a START that came in after DROP PIPELINE looked keeps its pipeline
    let refused = store.drop_pipeline("p", "tester").await;
    assert!(
        matches!(&refused, Err(StoreError::InUse { users, .. }) if users == &[format!("deployment {id}")]),
        "{refused:?}"
    );
    assert!(store.pipeline("p").await.unwrap().is_some());
    store
        .transition(
            id,
            &[DeploymentState::Submitting],
            DeploymentState::Failed,
            &DeploymentChange::default(),
            "tester",
        )
        .await
        .unwrap();
    assert!(store.drop_pipeline("p", "tester").await.unwrap());
    assert!(store.pipeline("p").await.unwrap().is_none());
}

fn column(name: &str, data_type: &str) -> ColumnRecord {
    ColumnRecord {
        ordinal: 1,
        name: name.into(),
        data_type: data_type.into(),
        source_type: data_type.to_lowercase(),
        nullable: true,
        is_key: false,
    }
}

fn table(name: &str, kind: &str) -> TableRecord {
    TableRecord {
        source: "dw".into(),
        database: "ods".into(),
        name: name.into(),
        kind: kind.into(),
        definition: None,
        refreshed_at: 1,
    }
}

#[tokio::test]
async fn a_declared_table_wins_over_the_cache() {
    let (_dir, store) = store().await;
    let source = NewSource {
        name: "dw".into(),
        source_type: "doris".into(),
        options: "{}".into(),
        secrets: Vec::new(),
    };
    store.put_source(&source, false, "tester").await.unwrap();
    // cached from the source, then declared: the declaration replaces the cached table
    store
        .replace_tables("dw", Some("ods"), &[(table("orders", "introspected"), vec![column("a", "INT")])])
        .await
        .unwrap();
    store
        .put_declared_table(&table("orders", "declared"), &[column("id", "BIGINT")], false, "tester")
        .await
        .unwrap();
    // a second declaration needs OR REPLACE
    let again =
        store.put_declared_table(&table("orders", "declared"), &[column("id", "BIGINT")], false, "t").await;
    assert!(
        matches!(&again, Err(StoreError::AlreadyExists { name, .. }) if name == "dw.ods.orders"),
        "{again:?}"
    );
    // a later REFRESH caches the other tables and leaves the declared one as declared
    store
        .replace_tables(
            "dw",
            Some("ods"),
            &[
                (table("orders", "introspected"), vec![column("a", "INT")]),
                (table("users", "introspected"), vec![column("u", "STRING")]),
            ],
        )
        .await
        .unwrap();
    let tables: Vec<(String, String)> =
        store.tables("dw", Some("ods")).await.unwrap().into_iter().map(|t| (t.name, t.kind)).collect();
    assert_eq!(tables, [("orders".into(), "declared".into()), ("users".into(), "introspected".into())]);
    let columns = store.columns("dw", "ods", "orders").await.unwrap();
    assert_eq!(
        columns.iter().map(|c| (c.name.as_str(), c.data_type.as_str())).collect::<Vec<_>>(),
        [("id", "BIGINT")]
    );
    // dropped, the declaration is gone and the next REFRESH caches the table again
    assert!(store.drop_declared_table("dw", "ods", "orders", "tester").await.unwrap());
    assert!(store.columns("dw", "ods", "orders").await.unwrap().is_empty());
}

#[tokio::test]
async fn secrets_are_rekeyed_all_or_nothing() {
    let (_dir, store) = store().await;
    assert_eq!(store.master_key_fingerprint().await.unwrap(), None);
    // the first gateway records its key; a second one learns the first's
    assert_eq!(store.claim_master_key("aaaa").await.unwrap(), "aaaa");
    assert_eq!(store.claim_master_key("bbbb").await.unwrap(), "aaaa");
    let secret = |name: &str| SecretRecord {
        name: name.into(),
        kind: "text".into(),
        nonce: vec![1; 12],
        ciphertext: vec![2; 20],
        owner: "tester".into(),
        created_at: 0,
        updated_at: 0,
    };
    store.put_secret(&secret("a"), false, "tester").await.unwrap();
    store.put_secret(&secret("b"), false, "tester").await.unwrap();
    let resealed =
        vec![("a".to_owned(), vec![3; 12], vec![4; 20]), ("b".to_owned(), vec![5; 12], vec![6; 20])];
    // not from the recorded key, or not every secret: nothing changes
    assert!(matches!(
        store.rekey_secrets(&resealed, "zzzz", "cccc", "t").await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.rekey_secrets(&resealed[..1], "aaaa", "cccc", "t").await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.secret("a").await.unwrap().unwrap().nonce, vec![1; 12]);
    assert_eq!(store.master_key_fingerprint().await.unwrap().as_deref(), Some("aaaa"));
    store.rekey_secrets(&resealed, "aaaa", "cccc", "t").await.unwrap();
    assert_eq!(store.secret("b").await.unwrap().unwrap().ciphertext, vec![6; 20]);
    assert_eq!(store.master_key_fingerprint().await.unwrap().as_deref(), Some("cccc"));
}
