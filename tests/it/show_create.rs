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
use crate::common::{TestServer, require};

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

#[tokio::test]
async fn every_kind_shows_a_script_that_re_creates_it() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    pg.execute(&format!("CREATE TABLE {}.copied (id int, name text)", pg.name)).await;
    let server = TestServer::start();
    let client = server.client().await;
    catalog(&client, &maria, &pg).await;

    // what each kind shows
    assert_eq!(
        show(&client, "ROLE alice").await,
        "-- role alice has a password, which is not shown: set it with ALTER ROLE alice PASSWORD '…'\n\
         CREATE ROLE alice WITH LOGIN;\nGRANT team TO alice WITH ADMIN TRUE;"
    );
    assert_eq!(
        show(&client, "USER \"Ops Crew\"").await,
        "CREATE ROLE \"Ops Crew\" WITH NOINHERIT;\nGRANT team TO \"Ops Crew\" WITH INHERIT TRUE;"
    );
    assert_eq!(
        show(&client, "ROLE team").await,
        "CREATE ROLE team;\nGRANT CREATE ON DATABASE sluice TO team;"
    );
    assert_eq!(
        show(&client, "SECRET blob").await,
        "-- the value of secret blob is not shown: put it in place of '***' before running this\n\
         CREATE SECRET blob AS decode('***', 'base64');\nGRANT USAGE ON SECRET blob TO alice WITH GRANT OPTION;"
    );
    assert_eq!(
        show(&client, "SOURCE maria").await,
        format!(
            "CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', password = SECRET maria_pw, port = 3306, username = '{}');\n\
             GRANT SELECT, USAGE ON SOURCE maria TO team;",
            maria.name
        )
    );
    assert_eq!(
        show(&client, "TABLE k.clicks").await,
        "CREATE TABLE k.clicks (user_id BIGINT NOT NULL, url STRING, ts TIMESTAMP(3), part INT METADATA FROM 'partition' VIRTUAL, \
         pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (user_id) NOT ENFORCED) \
         WITH (format = 'json', topic = 'clicks');"
    );
    assert_eq!(
        show(&client, "TARGET render").await,
        "CREATE TARGET render TYPE directory WITH (path = '/tmp/render-it');\nALTER TARGET render OWNER TO alice;"
    );
    assert_eq!(
        show(&client, "SCHEDULE nightly").await,
        "CREATE SCHEDULE nightly CRON '30 2 * * *' TIMEZONE 'Europe/Berlin' WITH (catchup = true, retries = 2) \
         AS BEGIN RUN PIPELINE copy; END;\nPAUSE SCHEDULE nightly;"
    );
    assert_eq!(
        show(&client, "SYNC mirror").await,
        format!(
            "CREATE SYNC DATABASE mirror FROM maria DATABASE {m} INCLUDING TABLES 'orders' TO dw DATABASE {p} \
             WITH (mode = 'full', table_prefix = 'm_');",
            m = maria.name,
            p = pg.name
        )
    );
    let copy = show(&client, "PIPELINE copy").await;
    assert!(
        copy.ends_with(
            ";\nGRANT OPERATE ON PIPELINE copy TO alice;\nGRANT OPERATE ON PIPELINE copy TO team;"
        ),
        "{copy}"
    );

    // ALL: every object once, in an order that replays, without the built-in ones and
    // the pipeline the sync made
    let before = all(&client).await;
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

    // what has no CREATE, or does not exist
    let (state, message, _) =
        failure(&client, &format!("SHOW CREATE TABLE maria.{}.orders", maria.name)).await;
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
        let (state, message, _) = failure(&client, &format!("SHOW CREATE {what}")).await;
        assert_eq!(state, expected, "{what}: {message}");
        assert!(message.contains("nope"), "{what}: {message}");
    }
    // the owner shows only to others: alice sees her target without ALTER … OWNER
    exec(&client, "GRANT USAGE ON SOURCE maria TO alice").await;
    let alice = server.client_as("alice", "alice-pw").await.expect("alice logs in");
    assert_eq!(
        show(&alice, "TARGET render").await,
        "CREATE TARGET render TYPE directory WITH (path = '/tmp/render-it');"
    );
    maria.drop().await;
    pg.drop().await;
}
