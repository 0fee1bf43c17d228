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
