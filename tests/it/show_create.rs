//! SHOW CREATE for every kind of object, and SHOW CREATE ALL: a catalog of roles,
//! memberships, secrets, sources, declared tables, targets, pipelines, a sync and a
//! paused schedule, with owners and grants, is re-created on a second gateway from the
//! scripts alone (secret values and passwords put in where the comments say) and shows
//! the same scripts there; what cannot be shown never is.

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, SOURCE_PASSWORD, mariadb_up, postgres_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{PASSWORD, TestServer, require};

async fn exec(client: &Client, sql: &str) {
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {}", crate::common::message(&e)));
}

/// `(kind, name, script)` of SHOW CREATE ALL.
async fn all(client: &Client) -> Vec<[String; 3]> {
    rows(client, "SHOW CREATE ALL")
        .await
        .into_iter()
        .map(|r| [r[0].clone(), r[1].clone(), r[2].clone()])
        .collect()
}

async fn show(client: &Client, what: &str) -> String {
    let shown = rows(client, &format!("SHOW CREATE {what}")).await;
    assert_eq!(shown.len(), 1, "{what}: {shown:?}");
    shown[0][1].clone()
}

async fn catalog(client: &Client, maria: &MariaDb, pg: &Postgres) {
    maria_source(client, maria, "maria").await;
    exec(
        client,
        &format!(
            "CREATE ROLE alice LOGIN PASSWORD 'alice-pw'; CREATE ROLE team; CREATE ROLE \"Ops Crew\" NOINHERIT;
             GRANT team TO alice WITH ADMIN OPTION; GRANT team TO \"Ops Crew\" WITH INHERIT TRUE;
             GRANT CREATE ON DATABASE sluice TO team;
             CREATE SECRET blob AS decode('AAECAw==', 'base64');
             CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE SOURCE k TYPE kafka WITH (bootstrap_servers = 'kafka-1:9092,kafka-2:9092');
             CREATE TABLE k.clicks (user_id BIGINT NOT NULL, url STRING, ts TIMESTAMP(3), part INT METADATA FROM 'partition' VIRTUAL,
               pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (user_id) NOT ENFORCED)
               WITH (topic = 'clicks', format = 'json');
             CREATE SOURCE hole TYPE blackhole; CREATE TABLE hole.void (user_id BIGINT, url STRING);
             CREATE TARGET render TYPE directory WITH (path = '/tmp/render-it');
             CREATE PIPELINE copy WITH (mode = 'batch', parallelism = 2) AS
               INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders WHERE id > 3;
             CREATE PIPELINE \"Clicks Out\" AS BEGIN
               INSERT INTO hole.void SELECT user_id, url FROM k.clicks WHERE url LIKE 'https:%';
               INSERT INTO hole.void SELECT user_id, 'it''s' FROM k.clicks; END;
             CREATE SYNC DATABASE mirror FROM maria DATABASE {m} INCLUDING TABLES 'orders' TO dw DATABASE {p}
               WITH (mode = 'full', table_prefix = 'm_');
             CREATE SCHEDULE nightly CRON '30 2 * * *' TIMEZONE 'Europe/Berlin' WITH (catchup = true, retries = 2)
               AS BEGIN RUN PIPELINE copy; END;
             PAUSE SCHEDULE nightly;
             GRANT USAGE, SELECT ON SOURCE maria TO team; GRANT USAGE ON SECRET blob TO alice WITH GRANT OPTION;
             GRANT OPERATE ON PIPELINE copy TO alice, team;
             ALTER TARGET render OWNER TO alice;",
            m = maria.name,
            p = pg.name
        ),
    )
    .await;
}

/// The test databases and a gateway holding [`catalog`]; `None` (skipped) without them.
async fn gateway_with_catalog() -> Option<(MariaDb, Postgres, TestServer, Client)> {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return None;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    pg.execute(&format!("CREATE TABLE {}.copied (id int, name text)", pg.name)).await;
    let server = TestServer::start();
    let client = server.client().await;
    catalog(&client, &maria, &pg).await;
    Some((maria, pg, server, client))
}

#[tokio::test]
async fn every_kind_shows_a_script_that_re_creates_it() {
    let Some((maria, pg, server, client)) = gateway_with_catalog().await else { return };
    each_kind_shows(&client, &maria, &pg).await;
    replayed_elsewhere(&client, &maria).await;
    refused(&client, &server, &maria).await;
    maria.drop().await;
    pg.drop().await;
}

/// What SHOW CREATE shows of each kind.
async fn each_kind_shows(client: &Client, maria: &MariaDb, pg: &Postgres) {
    assert_eq!(
        show(client, "ROLE alice").await,
        "-- role alice has a password, which is not shown: set it with ALTER ROLE alice PASSWORD '…'\n\
         CREATE ROLE alice WITH LOGIN;\nGRANT team TO alice WITH ADMIN TRUE;"
    );
    assert_eq!(
        show(client, "USER \"Ops Crew\"").await,
        "CREATE ROLE \"Ops Crew\" WITH NOINHERIT;\nGRANT team TO \"Ops Crew\" WITH INHERIT TRUE;"
    );
    assert_eq!(
        show(client, "ROLE team").await,
        "CREATE ROLE team;\nGRANT CREATE ON DATABASE sluice TO team;"
    );
    assert_eq!(
        show(client, "SECRET blob").await,
        "-- the value of secret blob is not shown: put it in place of '***' before running this\n\
         CREATE SECRET blob AS decode('***', 'base64');\nGRANT USAGE ON SECRET blob TO alice WITH GRANT OPTION;"
    );
    assert_eq!(
        show(client, "SOURCE maria").await,
        format!(
            "CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', password = SECRET maria_pw, port = 3306, username = '{}');\n\
             GRANT SELECT, USAGE ON SOURCE maria TO team;",
            maria.name
        )
    );
    assert_eq!(
        show(client, "TABLE k.clicks").await,
        "CREATE TABLE k.clicks (user_id BIGINT NOT NULL, url STRING, ts TIMESTAMP(3), part INT METADATA FROM 'partition' VIRTUAL, \
         pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (user_id) NOT ENFORCED) \
         WITH (format = 'json', topic = 'clicks');"
    );
    assert_eq!(
        show(client, "TARGET render").await,
        "CREATE TARGET render TYPE directory WITH (path = '/tmp/render-it');\nALTER TARGET render OWNER TO alice;"
    );
    assert_eq!(
        show(client, "SCHEDULE nightly").await,
        "CREATE SCHEDULE nightly CRON '30 2 * * *' TIMEZONE 'Europe/Berlin' WITH (catchup = true, retries = 2) \
         AS BEGIN RUN PIPELINE copy; END;\nPAUSE SCHEDULE nightly;"
    );
    assert_eq!(
        show(client, "SYNC mirror").await,
        format!(
            "CREATE SYNC DATABASE mirror FROM maria DATABASE {m} INCLUDING TABLES 'orders' TO dw DATABASE {p} \
             WITH (mode = 'full', table_prefix = 'm_');",
            m = maria.name,
            p = pg.name
        )
    );
    let copy = show(client, "PIPELINE copy").await;
    assert!(
        copy.ends_with(
            ";\nGRANT OPERATE ON PIPELINE copy TO alice;\nGRANT OPERATE ON PIPELINE copy TO team;"
        ),
        "{copy}"
    );
}

/// SHOW CREATE ALL lists every object once in an order that replays; a second gateway
/// given the scripts holds the same.
async fn replayed_elsewhere(client: &Client, maria: &MariaDb) {
    // ALL: every object once, in an order that replays, without the built-in ones and
    // the pipeline the sync made
    let before = all(client).await;
    let listed: Vec<(&str, &str)> = before.iter().map(|[k, n, _]| (k.as_str(), n.as_str())).collect();
    assert_eq!(
        listed,
        [
            // each role after the roles it is a member of
            ("role", "sluice"),
            ("role", "team"),
            ("role", "Ops Crew"),
            ("role", "alice"),
            ("secret", "blob"),
            ("secret", "maria_pw"),
            ("source", "dw"),
            ("source", "hole"),
            ("source", "k"),
            ("source", "maria"),
            ("table", "hole.void"),
            ("table", "k.clicks"),
            ("target", "render"),
            ("pipeline", "Clicks Out"),
            ("pipeline", "copy"),
            ("sync", "mirror"),
            ("schedule", "nightly"),
        ]
    );
    for [kind, name, script] in &before {
        assert!(!script.contains(SOURCE_PASSWORD) && !script.contains("alice-pw"), "{kind} {name}: {script}");
    }

    // a second gateway, given the scripts (with the secrets' values and the password put
    // in as the comments ask), holds the same objects
    let other = TestServer::start();
    let replica = other.client().await;
    let existing: Vec<Vec<String>> = rows(&replica, "SELECT name FROM sluice.roles").await;
    for [kind, name, script] in &before {
        if kind == "role" && existing.iter().any(|r| r[0] == *name) {
            continue;
        }
        let script = match (kind.as_str(), name.as_str()) {
            ("secret", "maria_pw") => {
                script.replace("'***'", &format!("'{}'", SOURCE_PASSWORD.replace('\'', "''")))
            }
            ("secret", "blob") => script.replace("'***'", "'AAECAw=='"),
            ("role", "alice") => format!("{script}\nALTER ROLE alice PASSWORD 'alice-pw';"),
            _ => script.clone(),
        };
        exec(&replica, &script).await;
    }
    assert_eq!(all(&replica).await, before);
    // and the values arrived: alice logs in with her password, the source reaches MariaDB
    other.client_as("alice", "alice-pw").await.expect("alice logs in on the replica");
    let read = rows(&replica, &format!("SELECT count(*) FROM maria.{}.orders", maria.name)).await;
    assert_eq!(read, [["20"]]);
}

/// What has no CREATE, or does not exist; the owner shown only to others.
async fn refused(client: &Client, server: &TestServer, maria: &MariaDb) {
    // what has no CREATE, or does not exist
    let (state, message, _) =
        failure(client, &format!("SHOW CREATE TABLE maria.{}.orders", maria.name)).await;
    assert_eq!(state, "42809", "{message}");
    assert!(message.contains("read from its source"), "{message}");
    for (what, expected) in [
        ("SOURCE nope", "42704"),
        ("ROLE nope", "42704"),
        ("SECRET nope", "42704"),
        ("TARGET nope", "42704"),
        ("PIPELINE nope", "42704"),
        ("SYNC nope", "42704"),
        ("SCHEDULE nope", "42704"),
        ("TABLE k.nope", "42P01"),
    ] {
        let (state, message, _) = failure(client, &format!("SHOW CREATE {what}")).await;
        assert_eq!(state, expected, "{what}: {message}");
        assert!(message.contains("nope"), "{what}: {message}");
    }
    // the owner shows only to others: alice sees her target without ALTER … OWNER
    exec(client, "GRANT USAGE ON SOURCE maria TO alice").await;
    let alice = server.client_as("alice", "alice-pw").await.expect("alice logs in");
    assert_eq!(
        show(&alice, "TARGET render").await,
        "CREATE TARGET render TYPE directory WITH (path = '/tmp/render-it');"
    );
}

/// `sluice dump` run against `server`: connecting through the PG* variables, or `--url`.
fn dump(server: &TestServer, dir: &std::path::Path, by_url: bool) -> std::process::Output {
    let dir = dir.to_str().expect("utf-8 path");
    if !by_url {
        return crate::common::sluice_cli(server, &["dump", "--dir", dir]);
    }
    // --url wins over the PG* variables, which point at no gateway here
    let password: String = PASSWORD.bytes().map(|b| format!("%{b:02X}")).collect();
    let url = format!("postgres://sluice:{password}@127.0.0.1:{}/sluice", server.port);
    std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["dump", "--dir", dir, "--url", &url])
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", "1")
        .env_remove("PGPASSWORD")
        .output()
        .expect("run sluice dump")
}

/// Every file under `dir`, relative, with its text.
fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in std::fs::read_dir(dir).expect("dump dir") {
        let kind = kind.expect("entry").path();
        for file in std::fs::read_dir(&kind).expect("kind dir") {
            let file = file.expect("entry").path();
            let relative = file.strip_prefix(dir).expect("under dir").display().to_string();
            out.push((relative, std::fs::read_to_string(&file).expect("text")));
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn dump_writes_one_file_per_object_the_same_each_time_and_no_secret() {
    let Some((maria, pg, server, client)) = gateway_with_catalog().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");

    let out = dump(&server, dir.path(), false);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("wrote 17 files to {}\n", dir.path().display()));
    // each object's file holds its SHOW CREATE script
    let expected: Vec<(String, String)> = {
        let mut e: Vec<(String, String)> = all(&client)
            .await
            .into_iter()
            .map(|[kind, name, script]| {
                let name = if name == "Ops Crew" { "Ops%20Crew".to_owned() } else { name };
                let name = if name == "Clicks Out" { "Clicks%20Out".to_owned() } else { name };
                (format!("{kind}s/{name}.sql"), format!("{script}\n"))
            })
            .collect();
        e.sort();
        e
    };
    let written = files(dir.path());
    assert_eq!(written, expected);
    assert!(written.iter().any(|(f, _)| f == "pipelines/Clicks%20Out.sql"), "{written:?}");
    for (file, text) in &written {
        assert!(
            !text.contains(SOURCE_PASSWORD) && !text.contains("alice-pw") && !text.contains("AAECAw"),
            "{file}: {text}"
        );
    }

    // the same catalog, by --url this time: byte-identical files
    let out = dump(&server, dir.path(), true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(files(dir.path()), written);

    // a dropped object's file goes at the next dump
    exec(&client, "DROP SCHEDULE nightly; DROP TABLE hole.void").await;
    let out = dump(&server, dir.path(), true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("removed schedules/nightly.sql\nremoved tables/hole.void.sql\n"), "{stdout}");
    assert_eq!(files(dir.path()).len(), 15);

    // a wrong password, or no gateway there: exit 1 and the reason, no password shown,
    // nothing written
    let port = server.port;
    for (at, reason) in
        [(port, "28P01"), (crate::common::free_port(), "cannot connect to the gateway at 127.0.0.1:")]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["dump", "--dir"])
            .arg(dir.path())
            .args(["--url", &format!("postgres://sluice:hunter2@127.0.0.1:{at}/sluice")])
            .output()
            .expect("run sluice dump");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(reason), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
        assert_eq!(files(dir.path()).len(), 15);
    }
    maria.drop().await;
    pg.drop().await;
}
