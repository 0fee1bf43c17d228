//! A refused statement changes nothing: a START of a pipeline that is already running
//! makes none of its sink tables, DROP TARGET of several names drops none while one is in
//! use, and two superusers demoting each other at once leave one of them a superuser.

use serde_json::json;

use crate::common::failures::failure;
use crate::common::fixtures::{Postgres, mariadb_up, postgres_up};
use crate::common::kube::{FD, NS, applies, merges, request, running, setup, spawn_sql};
use crate::common::kube_fake::FakeKube;
use crate::common::rows::rows;
use crate::common::{TestServer, require, sqlstate};

#[tokio::test]
async fn a_refused_start_or_drop_target_leaves_everything_as_it_was() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let fake = FakeKube::start().await;
    let server = TestServer::start();
    let client = server.client().await;
    let maria = setup(&fake, &server, &client, "").await;
    let pg = Postgres::create().await;
    let (m, p) = (&maria.name, &pg.name);
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE PIPELINE made_live WITH (engine = 'flink', mode = 'streaming', target = 'k8s') AS
               INSERT INTO dw.{p}.made SELECT id, amount FROM maria.{m}.orders"
        ))
        .await
        .unwrap();
    let start = spawn_sql(server.client().await, "START PIPELINE made_live");
    request(&fake, "FlinkDeployment apply", |log| applies(log, FD).first().map(|_| ())).await;
    fake.set_status(FD, NS, "made-live", running(1, "0a0b"));
    start.await.unwrap().unwrap();
    let exists = format!("SELECT coalesce(to_regclass('{p}.made')::text, 'none')");
    assert_eq!(pg.text_rows(&exists).await, [[format!("{p}.made")]], "START made the sink table");

    // dropped at the sink meanwhile: a second START is refused before it makes anything
    pg.execute(&format!("DROP TABLE {p}.made")).await;
    let (state, message, _) = failure(&client, "START PIPELINE made_live").await;
    assert!(state.starts_with("55"), "{state}: {message}");
    assert_eq!(pg.text_rows(&exists).await, [["none"]], "the refused START made no table");
    assert_eq!(applies(&fake.log(), FD).len(), 1, "nor applied anything");

    // DROP TARGET of two, one of them in use: neither is dropped
    client
        .batch_execute("CREATE TARGET spare TYPE flink WITH (rest_url = 'http://127.0.0.1:9')")
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "DROP TARGET spare, k8s").await;
    assert_eq!(state, "2BP01", "{message}");
    let targets =
        rows(&client, "SELECT name FROM sluice.targets WHERE name IN ('spare', 'k8s') ORDER BY name").await;
    assert_eq!(targets, [["k8s"], ["spare"]], "spare was not dropped alone");

    let stop = spawn_sql(server.client().await, "STOP PIPELINE made_live");
    request(&fake, "stop patch", |log| merges(log).first().map(|_| ())).await;
    fake.set_status(
        FD,
        NS,
        "made-live",
        json!({ "lifecycleState": "SUSPENDED", "jobStatus": { "state": "CANCELED" } }),
    );
    stop.await.unwrap().unwrap();
    client.batch_execute("DROP TARGET spare").await.unwrap();
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn two_superusers_demoting_each_other_at_once_leave_one() {
    let server = TestServer::start();
    let admin = server.client().await;
    admin
        .batch_execute(
            "CREATE ROLE ana SUPERUSER LOGIN PASSWORD 'a'; CREATE ROLE bo SUPERUSER LOGIN PASSWORD 'b';",
        )
        .await
        .unwrap();
    let ana = server.client_as("ana", "a").await.unwrap();
    let bo = server.client_as("bo", "b").await.unwrap();
    // ana and bo are the only superusers that can log in
    ana.batch_execute("ALTER ROLE sluice NOSUPERUSER").await.unwrap();
    for round in 0..10 {
        let (a, b) = tokio::join!(
            ana.batch_execute("ALTER ROLE bo NOSUPERUSER"),
            bo.batch_execute("ALTER ROLE ana NOSUPERUSER")
        );
        // the second is refused: as the last superuser (55006), or, once the first has
        // committed, as no superuser any more (42501)
        let refused: Vec<String> = [a, b].iter().filter_map(|r| r.as_ref().err()).map(sqlstate).collect();
        assert!(
            refused.len() == 1 && (refused[0] == "55006" || refused[0] == "42501"),
            "round {round}: exactly one is refused: {refused:?}"
        );
        let left =
            rows(&admin, "SELECT name FROM sluice.roles WHERE superuser AND can_login ORDER BY name").await;
        assert_eq!(left.len(), 1, "round {round}: one superuser is left: {left:?}");
        let survivor = if left[0][0] == "ana" { &ana } else { &bo };
        survivor.batch_execute("ALTER ROLE ana SUPERUSER; ALTER ROLE bo SUPERUSER").await.unwrap();
    }
}
