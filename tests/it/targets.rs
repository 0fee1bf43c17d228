//! Targets: CREATE / SHOW / TEST / DROP TARGET with typed options, the built-in `local`
//! target, and the `directory` target writing exactly what EXPLAIN shows.

use crate::common::TestServer;
use crate::common::failures::failure;
use crate::common::rows::rows;
use crate::common::sinks::sinks;

#[tokio::test]
async fn targets_are_created_checked_shown_tested_and_dropped() {
    let server = TestServer::start();
    let client = server.client().await;
    let names = |rows: Vec<Vec<String>>| rows.into_iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(names(rows(&client, "SHOW TARGETS").await), ["local"], "local exists out of the box");

    let dir = server.data_path().join("rendered");
    client
        .batch_execute(&format!(
            "CREATE TARGET render TYPE directory WITH (path = '{}');
             CREATE TARGET dev TYPE flink WITH (rest_url = 'http://127.0.0.1:1', submit_timeout = '2s');
             CREATE SOURCE gen TYPE datagen; CREATE TABLE gen.seq (id BIGINT);
             CREATE SOURCE hole TYPE blackhole; CREATE TABLE hole.ids (id BIGINT);
             CREATE PIPELINE p0 WITH (target = 'dev') AS INSERT INTO hole.ids SELECT id FROM gen.seq;",
            dir.display()
        ))
        .await
        .unwrap();
    assert_eq!(names(rows(&client, "SHOW TARGETS").await), ["dev", "local", "render"]);
    let shown = rows(&client, "SELECT name, type FROM sluice.targets ORDER BY name").await;
    assert_eq!(shown, [["dev", "flink"], ["local", "local"], ["render", "directory"]]);
    let types = names(rows(&client, "SHOW TARGET TYPES").await);
    assert_eq!(types, ["local", "flink", "directory", "kubernetes", "seatunnel"]);
    let options = names(rows(&client, "DESCRIBE TARGET TYPE flink").await);
    assert!(
        options.contains(&"rest_url".to_owned()) && options.contains(&"runner".to_owned()),
        "{options:?}"
    );

    for (sql, state, needle) in [
        (
            "CREATE TARGET x TYPE flink WITH (rest_url = 'http://h:8081', restur = 1)",
            "22023",
            "unknown option \"restur\"",
        ),
        ("CREATE TARGET x TYPE flink", "22023", "rest_url"),
        ("CREATE TARGET x TYPE flink WITH (rest_url = 'http://h', runner = 'python')", "22023", "runner"),
        ("CREATE TARGET x TYPE flinq WITH (rest_url = 'http://h')", "22023", "unknown target type \"flinq\""),
        ("CREATE TARGET render TYPE directory WITH (path = '/tmp')", "42710", "render"),
        ("DROP TARGET local", "2BP01", "local"),
        ("DROP TARGET nowhere", "42704", "nowhere"),
        ("TEST TARGET nowhere", "42704", "nowhere"),
        // a pipeline names a target that exists, when created or changed
        (
            "CREATE PIPELINE p1 WITH (target = 'nowhere') AS INSERT INTO hole.ids SELECT id FROM gen.seq",
            "42704",
            "nowhere",
        ),
        ("ALTER PIPELINE p0 SET (target = 'nowhere')", "42704", "nowhere"),
    ] {
        let (got, message, _) = failure(&client, sql).await;
        assert_eq!(got, state, "{sql}: {message}");
        assert!(message.contains(needle), "{sql}: {message}");
    }

    let checks = rows(&client, "TEST TARGET render").await;
    assert_eq!((checks[0][0].as_str(), checks[0][1].as_str()), ("directory", "t"), "{checks:?}");
    let checks = rows(&client, "TEST TARGET dev").await;
    assert_eq!(
        (checks[0][0].as_str(), checks[0][1].as_str()),
        ("rest api", "f"),
        "nothing listens on port 1: {checks:?}"
    );

    client
        .batch_execute("DROP PIPELINE p0; DROP TARGET dev, render; DROP TARGET IF EXISTS dev")
        .await
        .unwrap();
    assert_eq!(names(rows(&client, "SHOW TARGETS").await), ["local"]);
}

#[tokio::test]
async fn the_directory_target_writes_what_explain_shows() {
    let server = TestServer::start();
    let client = server.client().await;
    sinks(&client).await;
    let dir = server.data_path().join("gitops");
    client
        .batch_execute(&format!(
            "CREATE TARGET render TYPE directory WITH (path = '{}');
             CREATE PIPELINE numbers WITH (target = 'render') AS $$ BEGIN
               INSERT INTO hole.void SELECT CAST(n AS INT) FROM gen.numbers;
               INSERT INTO out.console SELECT CAST(n AS INT) AS id, CAST(n AS DECIMAL(10, 2)) AS amount FROM gen.numbers;
             END $$;",
            dir.display()
        ))
        .await
        .unwrap();
    client.batch_execute("START PIPELINE numbers").await.unwrap();
    let version_dir = dir.join("numbers").join("1");
    let mut written: Vec<String> = std::fs::read_dir(&version_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", version_dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert!(
        written.contains(&"numbers.sql".to_owned()) && written.contains(&"numbers.json".to_owned()),
        "{written:?}"
    );
    assert!(written.iter().any(|f| f.contains("flinkdeployment")), "{written:?}");
    // every format EXPLAIN can produce is on disk, byte for byte; the others are not
    for (format, file) in [
        ("flink_sql", "numbers.sql"),
        ("seatunnel", "numbers.conf"),
        ("flink_cdc", "numbers.yaml"),
        ("json", "numbers.json"),
    ] {
        let on_disk = std::fs::read_to_string(version_dir.join(file)).ok();
        match client.simple_query(&format!("EXPLAIN PIPELINE numbers FORMAT {format}")).await {
            Ok(messages) => {
                let content = messages.iter().find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(1).map(str::to_owned),
                    _ => None,
                });
                assert_eq!(on_disk, content, "{file} is EXPLAIN's {format}");
            }
            Err(e) => assert_eq!(
                on_disk,
                None,
                "{format} does not apply ({}), so no {file}",
                crate::common::message(&e)
            ),
        }
    }
    let shown = rows(&client, "SHOW DEPLOYMENTS").await;
    assert_eq!((shown[0][3].as_str(), shown[0][6].as_str()), ("render", "rendered"), "{shown:?}");

    // a new version renders into its own directory
    client
        .batch_execute("ALTER PIPELINE numbers SET (parallelism = 2); START PIPELINE numbers")
        .await
        .unwrap();
    assert!(dir.join("numbers").join("2").join("numbers.sql").exists());
    let (state, message, _) = failure(&client, "STOP PIPELINE numbers").await;
    assert_eq!(state, "55000", "rendered deployments do not run: {message}");
}

#[tokio::test]
async fn an_https_flink_endpoint_is_verified_with_its_ca_and_sent_the_token() {
    use crate::common::https_fake::{HttpsFake, ca_signed_certificate};
    if !crate::common::require("openssl", crate::common::have_program("openssl")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = ca_signed_certificate(dir.path());
    let overview =
        r#"{"flink-version":"2.3.0","taskmanagers":1,"slots-total":4,"slots-available":4,"jobs-running":0}"#;
    let fake = HttpsFake::start(
        &cert,
        &key,
        vec![("GET /overview", overview.into()), ("GET /jars", r#"{"files":[]}"#.into())],
    )
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    const TOKEN: &str = "flink-bearer-tok3n";
    client
        .batch_execute(&format!(
            "CREATE SECRET flink_token AS '{TOKEN}'; CREATE SECRET flink_pw AS 'basic-pw';
             CREATE TARGET secure TYPE flink WITH (rest_url = '{url}', ca_file = '{ca}', token = SECRET flink_token);
             CREATE TARGET untrusted TYPE flink WITH (rest_url = '{url}', token = SECRET flink_token);
             CREATE TARGET basic TYPE flink WITH (rest_url = '{url}', ca_file = '{ca}', username = 'ops', password = SECRET flink_pw);",
            url = fake.url,
            ca = ca.display()
        ))
        .await
        .unwrap();

    // verified with the CA: the REST API answers, and every request carried the token
    let checks = rows(&client, "TEST TARGET secure").await;
    assert_eq!((checks[0][0].as_str(), checks[0][1].as_str()), ("rest api", "t"), "{checks:?}");
    assert!(checks[0][3].starts_with("Flink 2.3.0: 1 task manager(s)"), "{checks:?}");
    let log = fake.log();
    assert!(log.iter().any(|l| l.line == "GET /overview HTTP/1.1"), "{log:?}");
    let bearer = format!("Bearer {TOKEN}");
    assert!(log.iter().all(|l| l.authorization.as_deref() == Some(bearer.as_str())), "{log:?}");
    // basic credentials
    let checks = rows(&client, "TEST TARGET basic").await;
    assert_eq!(checks[0][1], "t", "{checks:?}");
    let basic = fake.log().last().and_then(|l| l.authorization.clone()).unwrap_or_default();
    assert_eq!(basic, "Basic b3BzOmJhc2ljLXB3"); // base64("ops:basic-pw")
    // without the CA, Mozilla's roots do not vouch for the endpoint: refused
    let before = fake.log().len();
    let checks = rows(&client, "TEST TARGET untrusted").await;
    assert_eq!(checks[0][1], "f", "{checks:?}");
    assert!(checks[0][3].to_lowercase().contains("certificate"), "{checks:?}");
    assert_eq!(fake.log().len(), before, "no request got through");

    // the token is in no result, error or log line
    let shown = rows(&client, "SHOW TARGETS").await;
    let created = rows(&client, "SELECT options FROM sluice.targets WHERE name = 'secure'").await;
    for text in [format!("{shown:?}"), format!("{created:?}"), format!("{checks:?}"), server.log_text()] {
        assert!(!text.contains(TOKEN) && !text.contains("basic-pw"), "{text}");
    }
    assert!(created[0][0].contains("flink_token"), "{created:?}");

    // options that do not fit
    for (sql, needle) in [
        ("CREATE TARGET t1 TYPE flink WITH (rest_url = 'ftp://flink:21')", "http:// or https://"),
        (
            "CREATE TARGET t2 TYPE flink WITH (rest_url = 'http://flink:8081', ca_file = '/ca.pem')",
            "is for https",
        ),
        (
            "CREATE TARGET t3 TYPE seatunnel WITH (rest_url = 'https://st:8080', password = SECRET flink_pw)",
            "needs a username",
        ),
        ("CREATE TARGET t4 TYPE flink WITH (rest_url = 'https://flink:8081', token = 'in clear')", "token"),
    ] {
        let (state, msg, _) = failure(&client, sql).await;
        assert_eq!(state, "22023", "{sql}: {msg}");
        assert!(msg.contains(needle), "{sql}: {msg}");
    }
    let (state, msg, _) = failure(
        &client,
        "CREATE TARGET t5 TYPE flink WITH (rest_url = 'https://flink:8081', token = SECRET nope)",
    )
    .await;
    assert_eq!(state, "42704", "{msg}");
}
