//! Privileges against the machine's real MariaDB and PostgreSQL: three roles — the
//! superuser, alice (CREATE ON DATABASE) and bob (nothing) — and for each gateway
//! statement kind bob is refused with 42501 naming the object, allowed after the matching
//! GRANT (or ownership), refused again after the REVOKE. Live reads, PREVIEW and joins are
//! checked per source; a schedule's task runs with its owner's rights as they are when it
//! runs; pg_catalog answers as the grants say.

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{TestServer, message, require};

async fn exec(client: &Client, sql: &str) {
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {}", message(&e)));
}

/// `sql` fails with 42501 and a message naming `object` (`source maria`).
async fn refused(client: &Client, sql: &str, object: &str) {
    let (state, text, _) = failure(client, sql).await;
    assert_eq!(state, "42501", "{sql}: {text}");
    assert!(text.contains(object), "{sql}: the refusal should name {object}: {text}");
}

/// One statement kind: what bob runs, the GRANT that allows it, the REVOKE that takes it
/// back, and what the superuser does before, after success (undo) and at the end.
struct Case<'a> {
    sql: String,
    object: &'a str,
    grant: &'a str,
    revoke: &'a str,
    /// The object a refusal names once `grant` is revoked (usually `object`).
    revoked_object: &'a str,
    pre: &'a str,
    undo: &'a str,
    post: &'a str,
}

fn case<'a>(sql: String, object: &'a str, grant: &'a str, revoke: &'a str) -> Case<'a> {
    Case { sql, object, grant, revoke, revoked_object: object, pre: "", undo: "", post: "" }
}

async fn setup() -> Option<(MariaDb, Postgres, TestServer)> {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return None;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    pg.execute(&format!("CREATE TABLE {}.copied (id int, name text)", pg.name)).await;
    let server = TestServer::start();
    let admin = server.client().await;
    maria_source(&admin, &maria, "maria").await;
    exec(
        &admin,
        &format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE ROLE alice LOGIN PASSWORD 'a-pw'; CREATE ROLE bob LOGIN PASSWORD 'b-pw'; CREATE ROLE carol;
             CREATE ROLE team;
             GRANT CREATE ON DATABASE sluice TO alice;
             CREATE TARGET render TYPE directory WITH (path = '{}');
             CREATE PIPELINE p WITH (mode = 'batch') AS INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders;
             CREATE SCHEDULE sch CRON '0 0 1 1 *' AS RUN PIPELINE p; PAUSE SCHEDULE sch;
             CREATE SECRET spare AS 'spare-value';
             CREATE SOURCE spare_src TYPE blackhole; CREATE TABLE spare_src.void (id INT);
             CREATE PIPELINE spare_p AS INSERT INTO spare_src.void SELECT id FROM maria.{m}.orders;
             CREATE SCHEDULE spare_s CRON '0 0 1 1 *' AS RUN PIPELINE p; PAUSE SCHEDULE spare_s;
             CREATE TARGET spare_t TYPE directory WITH (path = '{}');
             CREATE TABLE maria.{m}.spare_decl (id INT)",
            server.data_path().join("rendered").display(),
            server.data_path().join("spare").display(),
            p = pg.name,
            m = maria.name,
        ),
    )
    .await;
    Some((maria, pg, server))
}

#[tokio::test]
async fn every_statement_kind_is_refused_then_granted_then_revoked() {
    let Some((maria, pg, server)) = setup().await else { return };
    let (m, p) = (maria.name.clone(), pg.name.clone());
    let admin = server.client().await;
    let bob = server.client_as("bob", "b-pw").await.unwrap();
    let create = "GRANT CREATE ON DATABASE sluice TO bob";
    let no_create = "REVOKE CREATE ON DATABASE sluice FROM bob";
    let usage_both = "GRANT USAGE ON SOURCE maria, dw TO bob";
    let drop_declared = format!("DROP TABLE maria.{m}.declared");
    let redeclare = format!("CREATE TABLE maria.{m}.spare_decl (id INT)");
    let spare_p =
        format!("CREATE PIPELINE spare_p AS INSERT INTO spare_src.void SELECT id FROM maria.{m}.orders");
    let spare_src_back = format!(
        "CREATE SOURCE spare_src TYPE blackhole; CREATE TABLE spare_src.void (id INT); ALTER SOURCE spare_src OWNER TO bob; {spare_p}"
    );
    let spare_t = format!(
        "CREATE TARGET spare_t TYPE directory WITH (path = '{}')",
        server.data_path().join("spare").display()
    );
    let no_usage_both = "REVOKE USAGE ON SOURCE maria, dw FROM bob";
    let bob_t = format!(
        "CREATE TARGET bob_t TYPE directory WITH (path = '{}')",
        server.data_path().join("bob_t").display()
    );
    let cases = vec![
        case(format!("SELECT id, name FROM maria.{m}.orders ORDER BY id LIMIT 2"), "source maria", "GRANT SELECT ON SOURCE maria TO bob", "REVOKE SELECT ON SOURCE maria FROM bob"),
        case("TEST SOURCE maria".into(), "source maria", "GRANT SELECT ON SOURCE maria TO bob", "REVOKE SELECT ON SOURCE maria FROM bob"),
        case(format!("SHOW TABLES FROM maria.{m}"), "source maria", "GRANT USAGE ON SOURCE maria TO bob", "REVOKE USAGE ON SOURCE maria FROM bob"),
        case(format!("DESCRIBE maria.{m}.orders"), "source maria", "GRANT SELECT ON SOURCE maria TO bob", "REVOKE SELECT ON SOURCE maria FROM bob"),
        case("REFRESH SOURCE maria".into(), "source maria", "GRANT ALL ON SOURCE maria TO bob", "REVOKE ALL ON SOURCE maria FROM bob"),
        Case {
            pre: "GRANT SELECT ON SOURCE maria TO bob",
            post: "REVOKE SELECT ON SOURCE maria FROM bob",
            ..case("PREVIEW PIPELINE p LIMIT 1".into(), "pipeline p", "GRANT OPERATE ON PIPELINE p TO bob", "REVOKE OPERATE ON PIPELINE p FROM bob")
        },
        Case {
            pre: "GRANT OPERATE ON PIPELINE p TO bob",
            post: "REVOKE OPERATE ON PIPELINE p FROM bob",
            ..case("PREVIEW PIPELINE p LIMIT 1".into(), "source maria", "GRANT SELECT ON SOURCE maria TO bob", "REVOKE SELECT ON SOURCE maria FROM bob")
        },
        case(format!("PREVIEW INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders"), "source maria", "GRANT SELECT ON SOURCE maria TO bob", "REVOKE SELECT ON SOURCE maria FROM bob"),
        Case { undo: "DROP SECRET bob_secret", ..case("CREATE SECRET bob_secret AS 'b'".into(), "database sluice", create, no_create) },
        Case {
            pre: create,
            undo: "DROP SOURCE bob_src",
            post: no_create,
            ..case("CREATE SOURCE bob_src TYPE mysql WITH (host = '127.0.0.1', username = 'u', password = SECRET maria_pw)".into(), "secret maria_pw", "GRANT USAGE ON SECRET maria_pw TO bob", "REVOKE USAGE ON SECRET maria_pw FROM bob")
        },
        Case {
            pre: create,
            undo: &drop_declared,
            post: no_create,
            ..case(format!("CREATE TABLE maria.{m}.declared (id INT)"), "source maria", "GRANT USAGE ON SOURCE maria TO bob", "REVOKE USAGE ON SOURCE maria FROM bob")
        },
        Case {
            pre: create,
            undo: "DROP PIPELINE bob_p",
            post: "REVOKE CREATE ON DATABASE sluice FROM bob; REVOKE USAGE ON SOURCE dw FROM bob",
            revoked_object: "source maria",
            ..case(format!("CREATE PIPELINE bob_p WITH (mode = 'batch') AS INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders"), "source dw", usage_both, "REVOKE USAGE ON SOURCE maria FROM bob")
        },
        Case {
            pre: create,
            undo: "DROP SYNC bob_sync",
            post: "REVOKE CREATE ON DATABASE sluice FROM bob; REVOKE USAGE ON SOURCE maria FROM bob",
            revoked_object: "source dw",
            ..case(format!("CREATE SYNC DATABASE bob_sync FROM maria DATABASE {m} TO dw DATABASE {p} WITH (mode = 'full', table_prefix = 'bob_')"), "source maria", usage_both, "REVOKE USAGE ON SOURCE dw FROM bob")
        },
        Case {
            pre: usage_both,
            post: no_usage_both,
            ..case("START PIPELINE p".into(), "pipeline p", "GRANT OPERATE ON PIPELINE p TO bob", "REVOKE OPERATE ON PIPELINE p FROM bob")
        },
        Case {
            pre: "GRANT OPERATE ON PIPELINE p TO bob; GRANT USAGE ON SOURCE maria, dw TO bob",
            post: "REVOKE OPERATE ON PIPELINE p FROM bob; REVOKE USAGE ON SOURCE maria, dw FROM bob",
            ..case("START PIPELINE p ON TARGET render".into(), "target render", "GRANT USAGE ON TARGET render TO bob", "REVOKE USAGE ON TARGET render FROM bob")
        },
        case("TEST TARGET render".into(), "target render", "GRANT USAGE ON TARGET render TO bob", "REVOKE USAGE ON TARGET render FROM bob"),
        case("PAUSE SCHEDULE sch".into(), "schedule sch", "GRANT OPERATE ON SCHEDULE sch TO bob", "REVOKE OPERATE ON SCHEDULE sch FROM bob"),
        Case {
            pre: usage_both,
            post: no_usage_both,
            ..case("ALTER PIPELINE p SET (parallelism = 2)".into(), "pipeline p", "ALTER PIPELINE p OWNER TO bob", "ALTER PIPELINE p OWNER TO sluice")
        },
        Case {
            pre: "GRANT USAGE ON SECRET maria_pw TO bob",
            post: "REVOKE USAGE ON SECRET maria_pw FROM bob",
            ..case("ALTER SOURCE maria SET (port = 3306)".into(), "source maria", "ALTER SOURCE maria OWNER TO bob", "ALTER SOURCE maria OWNER TO sluice")
        },
        case("ALTER SCHEDULE sch SET (retries = 1)".into(), "schedule sch", "ALTER SCHEDULE sch OWNER TO bob", "ALTER SCHEDULE sch OWNER TO sluice"),
        Case { undo: "CREATE SECRET spare AS 'spare-value'", ..case("DROP SECRET spare".into(), "secret spare", "ALTER SECRET spare OWNER TO bob", "ALTER SECRET spare OWNER TO sluice") },
        Case {
            post: "REVOKE SELECT ON SOURCE maria FROM bob, carol",
            ..case("GRANT SELECT ON SOURCE maria TO carol".into(), "source maria", "GRANT SELECT ON SOURCE maria TO bob WITH GRANT OPTION", "REVOKE GRANT OPTION FOR SELECT ON SOURCE maria FROM bob CASCADE")
        },
        Case {
            pre: create,
            undo: "DROP SCHEDULE bob_s",
            post: no_create,
            ..case("CREATE SCHEDULE bob_s CRON '0 0 1 1 *' AS RUN PIPELINE p".into(), "pipeline p", "GRANT OPERATE ON PIPELINE p TO bob", "REVOKE OPERATE ON PIPELINE p FROM bob")
        },
        case("RUN SCHEDULE spare_s".into(), "schedule spare_s", "GRANT OPERATE ON SCHEDULE spare_s TO bob", "REVOKE OPERATE ON SCHEDULE spare_s FROM bob"),
        case("ALTER SECRET spare AS 'other'".into(), "secret spare", "ALTER SECRET spare OWNER TO bob", "ALTER SECRET spare OWNER TO sluice"),
        Case { undo: &redeclare, ..case(format!("DROP TABLE maria.{m}.spare_decl"), "source maria", "GRANT USAGE ON SOURCE maria TO bob", "REVOKE USAGE ON SOURCE maria FROM bob") },
        Case { undo: &spare_p, ..case("DROP PIPELINE spare_p".into(), "pipeline spare_p", "ALTER PIPELINE spare_p OWNER TO bob", "ALTER PIPELINE spare_p OWNER TO sluice") },
        Case {
            undo: "CREATE SCHEDULE spare_s CRON '0 0 1 1 *' AS RUN PIPELINE p; PAUSE SCHEDULE spare_s",
            ..case("DROP SCHEDULE spare_s".into(), "schedule spare_s", "ALTER SCHEDULE spare_s OWNER TO bob", "ALTER SCHEDULE spare_s OWNER TO sluice")
        },
        Case { undo: &spare_t, ..case("DROP TARGET spare_t".into(), "target spare_t", "ALTER TARGET spare_t OWNER TO bob", "ALTER TARGET spare_t OWNER TO sluice") },
        Case {
            pre: "ALTER SOURCE spare_src OWNER TO bob",
            post: "ALTER SOURCE spare_src OWNER TO sluice",
            ..case("DROP SOURCE spare_src CASCADE".into(), "pipeline spare_p", "ALTER PIPELINE spare_p OWNER TO bob", "ALTER PIPELINE spare_p OWNER TO sluice")
        },
        Case {
            undo: "DROP TARGET bob_t",
            ..case(bob_t.clone(), "sluice_create_target", "GRANT sluice_create_target TO bob", "REVOKE sluice_create_target FROM bob")
        },
        Case { undo: "REVOKE team FROM carol", ..case("GRANT team TO carol".into(), "role \"team\"", "GRANT team TO bob WITH ADMIN OPTION", "REVOKE team FROM bob") },
    ];
    // the last case drops spare_src with spare_p: the undo of a dropped source
    let cases: Vec<Case> =
        cases
            .into_iter()
            .map(|c| {
                if c.sql.starts_with("DROP SOURCE spare_src") {
                    Case { undo: &spare_src_back, ..c }
                } else {
                    c
                }
            })
            .collect();
    for c in &cases {
        if !c.pre.is_empty() {
            exec(&admin, c.pre).await;
        }
        refused(&bob, &c.sql, c.object).await;
        exec(&admin, c.grant).await;
        exec(&bob, &c.sql).await;
        if !c.undo.is_empty() {
            exec(&admin, c.undo).await;
        }
        exec(&admin, c.revoke).await;
        refused(&bob, &c.sql, c.revoked_object).await;
        if !c.post.is_empty() {
            exec(&admin, c.post).await;
        }
    }
    // what bob did with his rights is attributed to him, GRANTs and owner changes are events
    let events = rows(&admin, "SELECT actor, action, object_kind, object_name, detail FROM sluice.events WHERE action IN ('grant', 'revoke', 'owner') ORDER BY id").await;
    assert!(
        events.contains(&vec![
            "sluice".into(),
            "grant".into(),
            "source".into(),
            "maria".into(),
            "SELECT TO bob".into()
        ]),
        "{events:?}"
    );
    assert!(
        events.contains(&vec![
            "bob".into(),
            "grant".into(),
            "source".into(),
            "maria".into(),
            "SELECT TO carol".into()
        ]),
        "{events:?}"
    );
    assert!(
        events.contains(&vec![
            "sluice".into(),
            "owner".into(),
            "pipeline".into(),
            "p".into(),
            "OWNER TO bob".into()
        ]),
        "{events:?}"
    );
    assert!(
        events.contains(&vec![
            "sluice".into(),
            "revoke".into(),
            "source".into(),
            "dw".into(),
            "USAGE FROM bob".into()
        ]),
        "{events:?}"
    );
    // after every REVOKE bob holds nothing again
    assert_eq!(rows(&admin, "SHOW GRANTS FOR bob").await, Vec::<Vec<String>>::new());
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn a_join_reads_only_what_is_granted_and_bad_grants_are_refused() {
    let Some((maria, pg, server)) = setup().await else { return };
    let (m, p) = (maria.name.clone(), pg.name.clone());
    let admin = server.client().await;
    let bob = server.client_as("bob", "b-pw").await.unwrap();
    exec(&admin, "GRANT SELECT ON SOURCE maria TO bob").await;
    let join = format!("SELECT o.id FROM maria.{m}.orders o JOIN dw.{p}.copied c ON o.id = c.id");
    refused(&bob, &join, "source dw").await;
    let sub = format!("SELECT id FROM maria.{m}.orders WHERE id IN (SELECT id FROM dw.{p}.copied)");
    refused(&bob, &sub, "source dw").await;
    // the same statement prepared (extended protocol) is checked at every execution
    let statement = bob.prepare(&format!("SELECT name FROM maria.{m}.orders WHERE id = $1")).await.unwrap();
    let got: String = bob.query_one(&statement, &[&3i32]).await.unwrap().get(0);
    assert_eq!(got, "order 3");
    exec(&admin, "REVOKE SELECT ON SOURCE maria FROM bob").await;
    let e = bob.query_one(&statement, &[&3i32]).await.unwrap_err();
    assert_eq!(crate::common::sqlstate(&e), "42501", "{}", message(&e));
    // membership: a team's grants reach its members (unless NOINHERIT)
    exec(&admin, "GRANT SELECT ON SOURCE maria, dw TO team; GRANT team TO bob").await;
    let ids = rows(&bob, &format!("{join} ORDER BY o.id")).await;
    assert_eq!(ids, Vec::<Vec<String>>::new(), "dw.copied is empty: the join runs and returns nothing");
    exec(&admin, "ALTER ROLE bob NOINHERIT").await;
    exec(&admin, "REVOKE team FROM bob; GRANT team TO bob").await;
    refused(&bob, &join, "source maria").await;

    for (sql, state, text) in [
        ("GRANT OPERATE ON SOURCE maria TO bob", "0LP01", "invalid privilege type OPERATE for source"),
        ("GRANT SELECT ON SOURCE nowhere TO bob", "42704", "nowhere"),
        ("GRANT SELECT ON SOURCE maria TO nobody", "42704", "nobody"),
        ("GRANT ALL ON SYNC s TO bob", "0LP01", "no privileges"),
        ("GRANT CREATE ON DATABASE elsewhere TO bob", "3D000", "elsewhere"),
        ("GRANT team TO team", "0LP01", "member of role"),
        ("ALTER SOURCE maria OWNER TO nobody", "42704", "nobody"),
        ("CREATE ROLE public", "42939", "reserved"),
        ("CREATE ROLE sluice_ops", "42939", "role name \"sluice_ops\" is reserved"),
        ("ALTER ROLE team RENAME TO sluice_team", "42939", "reserved"),
        ("DROP ROLE sluice_create_target", "42939", "predefined"),
        ("ALTER ROLE sluice_create_target LOGIN", "42939", "predefined"),
    ] {
        let (got, message, _) = failure(&admin, sql).await;
        assert_eq!(got, state, "{sql}: {message}");
        assert!(message.contains(text), "{sql}: {message}");
    }
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn revoking_a_grant_option_restricts_or_cascades_to_the_grants_made_with_it() {
    let Some((maria, pg, server)) = setup().await else { return };
    let admin = server.client().await;
    let bob = server.client_as("bob", "b-pw").await.unwrap();
    exec(&admin, "GRANT USAGE ON SOURCE maria TO bob WITH GRANT OPTION").await;
    exec(
        &bob,
        "GRANT USAGE ON SOURCE maria TO carol WITH GRANT OPTION; GRANT SELECT ON SOURCE maria TO team",
    )
    .await;
    let held = "SELECT grantee, privilege, grantable, grantor FROM sluice.grants WHERE object_name = 'maria' ORDER BY grantee";
    let before = rows(&admin, held).await;
    assert_eq!(
        before,
        vec![
            vec!["bob", "USAGE", "t", "sluice"],
            vec!["carol", "USAGE", "t", "bob"],
            vec!["team", "SELECT", "f", "bob"]
        ]
    );
    // RESTRICT (the default) refuses and changes nothing
    for revoke in [
        "REVOKE USAGE ON SOURCE maria FROM bob",
        "REVOKE GRANT OPTION FOR USAGE ON SOURCE maria FROM bob RESTRICT",
    ] {
        let (state, text, _) = failure(&admin, revoke).await;
        assert_eq!(state, "2BP01", "{revoke}: {text}");
        assert!(
            text.contains("dependent privileges exist") && text.contains("granted by bob to carol"),
            "{text}"
        );
        assert_eq!(rows(&admin, held).await, before, "{revoke} changed grants");
    }
    // revoking only what nobody depends on needs no CASCADE
    exec(&admin, "REVOKE SELECT ON SOURCE maria FROM team").await;
    exec(&bob, "GRANT SELECT ON SOURCE maria TO team").await;
    // CASCADE takes the option away from bob and the grants bob made with it
    exec(&admin, "REVOKE GRANT OPTION FOR USAGE ON SOURCE maria FROM bob CASCADE").await;
    assert_eq!(rows(&admin, held).await, vec![vec!["bob", "USAGE", "f", "sluice"]]);
    let revoked = rows(
        &admin,
        "SELECT detail FROM sluice.events WHERE action = 'revoke' AND object_name = 'maria' ORDER BY id DESC LIMIT 3",
    )
    .await;
    let mut revoked: Vec<String> = revoked.into_iter().map(|r| r[0].clone()).collect();
    revoked.sort();
    assert_eq!(revoked, ["GRANT OPTION FOR USAGE FROM bob", "SELECT FROM team", "USAGE FROM carol"]);
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn a_schedule_runs_with_its_owners_rights_as_they_are_at_run_time() {
    let Some((maria, pg, server)) = setup().await else { return };
    let (m, p) = (maria.name.clone(), pg.name.clone());
    let admin = server.client().await;
    let alice = server.client_as("alice", "a-pw").await.unwrap();
    // alice may create, but names only sources she may use
    let body = format!("INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders WHERE id <= 3");
    refused(&alice, &format!("CREATE PIPELINE alice_p WITH (mode = 'batch') AS {body}"), "source dw").await;
    exec(&admin, "GRANT USAGE ON SOURCE maria, dw TO alice; GRANT USAGE ON TARGET render TO alice").await;
    exec(&alice, &format!("CREATE PIPELINE alice_p WITH (mode = 'batch') AS {body}")).await;
    exec(&alice, "START PIPELINE alice_p ON TARGET render").await;
    exec(&alice, "CREATE SCHEDULE alice_s CRON '0 0 1 1 *' AS RUN PIPELINE alice_p; PAUSE SCHEDULE alice_s")
        .await;
    let owners = rows(&admin, "SELECT name, owner FROM sluice.schedules WHERE name = 'alice_s'").await;
    assert_eq!(owners, vec![vec!["alice_s".to_owned(), "alice".to_owned()]]);

    exec(&alice, "RUN SCHEDULE alice_s").await;
    let runs = wait_for_runs(&admin, "alice_s", 1).await;
    let copied = pg.text_rows(&format!("SELECT id::text, name FROM {p}.copied ORDER BY id")).await;
    assert_eq!(copied, vec![vec!["1", "order 1"], vec!["2", "order 2"], vec!["3", "order 3"]], "{runs:?}");

    exec(&admin, "REVOKE USAGE ON SOURCE maria FROM alice").await;
    exec(&alice, "RUN SCHEDULE alice_s").await;
    let runs = wait_for_runs(&admin, "alice_s", 2).await;
    let failed: Vec<&Vec<String>> = runs.iter().filter(|r| r[5] == "failed").collect();
    assert_eq!(failed.len(), 1, "{runs:?}");
    let error = &failed[0][12];
    assert!(error.contains("42501") && error.contains("permission denied for source maria"), "{error}");
    assert_eq!(pg.text_rows(&format!("SELECT count(*)::text FROM {p}.copied")).await, vec![vec!["3"]]);
    // a role that owns objects is not dropped from under them
    let (state, text, _) = failure(&admin, "DROP ROLE alice").await;
    assert_eq!(state, "2BP01", "{text}");
    assert!(text.contains("role \"alice\""), "{text}");
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

/// Waits until `schedule` has `n` runs, all ended; returns SHOW RUNS.
async fn wait_for_runs(client: &Client, schedule: &str, n: usize) -> Vec<Vec<String>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let runs = rows(client, &format!("SHOW RUNS FOR SCHEDULE {schedule}")).await;
        if runs.len() >= n && runs.iter().all(|r| !matches!(r[5].as_str(), "queued" | "running")) {
            return runs;
        }
        assert!(std::time::Instant::now() < deadline, "runs of {schedule}: {runs:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn pg_catalog_answers_as_the_grants_say() {
    let Some((maria, pg, server)) = setup().await else { return };
    let admin = server.client().await;
    exec(&admin, "GRANT team TO bob; GRANT SELECT ON SOURCE maria TO team").await;
    let bob = server.client_as("bob", "b-pw").await.unwrap();
    // psql's \du: memberof through pg_auth_members joined on the roles' oids (an empty
    // ARRAY(…) is NULL here, not {}: see engine/array_subquery.rs)
    let du = rows(
        &bob,
        "SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcanlogin, \
         ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid) \
               WHERE m.member = r.oid) AS memberof \
         FROM pg_catalog.pg_roles r WHERE r.rolname IN ('bob', 'sluice', 'team') ORDER BY 1",
    )
    .await;
    assert_eq!(
        du,
        vec![
            vec!["bob", "f", "t", "t", "{team}"],
            vec!["sluice", "t", "t", "t", "NULL"],
            vec!["team", "f", "t", "f", "NULL"],
        ]
    );
    let (m, p) = (&maria.name, &pg.name);
    let checks = rows(
        &bob,
        &format!(
            "SELECT has_table_privilege('maria.{m}.orders', 'SELECT'), has_table_privilege('dw.{p}.copied', 'SELECT'), \
             has_schema_privilege('maria', 'USAGE'), has_table_privilege('alice', 'maria.{m}.orders', 'SELECT'), \
             has_database_privilege('sluice', 'CREATE'), has_database_privilege('alice', 'sluice', 'CREATE')"
        ),
    )
    .await;
    assert_eq!(checks, vec![vec!["t", "f", "t", "f", "f", "t"]]);
    let shown = rows(&admin, "SHOW GRANTS ON SOURCE maria").await;
    assert_eq!(
        shown,
        vec![
            vec!["source", "maria", "sluice", "OWNER", "t", "NULL"],
            vec!["source", "maria", "team", "SELECT", "f", "sluice"],
        ]
    );
    let table =
        rows(&bob, "SELECT object_kind, object_name, grantee, privilege, grantable FROM sluice.grants").await;
    assert_eq!(
        table,
        vec![
            vec!["database", "sluice", "alice", "CREATE", "f"],
            vec!["source", "maria", "team", "SELECT", "f"],
            vec!["target", "local", "public", "USAGE", "f"],
        ]
    );
    drop(server);
    maria.drop().await;
    pg.drop().await;
}
