//! EXPLAIN PIPELINE into every engine's artifact, from real MariaDB and PostgreSQL
//! metadata: the fan-out reads its source once in Flink SQL and SeaTunnel, the Kubernetes
//! resources validate against the operator's CRDs (Kubernetes itself cannot run here, so
//! this is a schema-level test), Flink CDC YAML has the upstream blocks, and names and
//! values that need quoting cannot break or inject into a script.

use datafusion::sql::sqlparser::dialect::MySqlDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, SOURCE_PASSWORD, mariadb_up, postgres_up};
use crate::common::hocon;
use crate::common::k8s_schema::{crd_schema, metadata, validate};
use crate::common::sinks::sinks;
use crate::common::sources::{maria_source, pg_source, text_rows};
use crate::common::{TestServer, have_program, require};

/// The artifacts of `EXPLAIN PIPELINE name FORMAT format …`: (file, content).
async fn explain(client: &Client, statement: &str) -> Vec<(String, String)> {
    text_rows(client, statement).await.into_iter().map(|r| (r[0].clone(), r[1].clone())).collect()
}

async fn fan_out(client: &Client, db: &str) {
    client
        .batch_execute(&format!(
            "CREATE PIPELINE orders_fanout WITH (engine = 'flink', mode = 'streaming', parallelism = 2) AS $$
             BEGIN
               INSERT INTO k.order_events SELECT id, amount, at FROM maria.{db}.orders;
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders WHERE amount > 0;
             END $$"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_fan_out_reads_its_source_once_in_every_engine() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    fan_out(&client, &maria.name).await;

    // Flink SQL: one definition of the source, one statement set with both INSERTs
    let flink = explain(&client, "EXPLAIN PIPELINE orders_fanout FORMAT flink_sql").await;
    assert_eq!(flink.len(), 1);
    let script = &flink[0].1;
    let tables: Vec<&str> = script.split("CREATE TEMPORARY TABLE").skip(1).collect();
    assert_eq!(tables.len(), 3, "one source and two sinks:\n{script}");
    let sources: Vec<&&str> = tables.iter().filter(|t| t.contains("'connector' = 'mysql-cdc'")).collect();
    assert_eq!(sources.len(), 1, "{script}");
    assert!(
        sources[0].contains(&format!("'database-name' = '{}'", maria.name))
            && sources[0].contains("'table-name' = 'orders'")
    );
    assert!(sources[0].contains("PRIMARY KEY (`id`) NOT ENFORCED"), "{script}");
    assert_eq!(script.matches("EXECUTE STATEMENT SET").count(), 1, "{script}");
    let set = &script[script.find("EXECUTE STATEMENT SET").unwrap()..];
    assert_eq!(set.matches("INSERT INTO").count(), 2, "{set}");
    assert_eq!(script.matches("INSERT INTO").count(), 2);
    assert!(
        script.contains("SET 'execution.runtime-mode' = 'streaming';")
            && script.contains("SET 'parallelism.default' = '2';")
    );
    assert!(script.contains("SET 'execution.checkpointing.interval' = '60s';"), "{script}");
    assert!(script.contains("'password' = '${SLUICE_SECRET_MARIA_PW}'"), "{script}");
    assert!(!script.contains(SOURCE_PASSWORD));

    // SeaTunnel: one source block, two sinks each wired (through its transform) to it
    let seatunnel = explain(&client, "EXPLAIN PIPELINE orders_fanout FORMAT seatunnel").await;
    let config = hocon::parse(&seatunnel[0].1).unwrap_or_else(|e| panic!("{e}\n{}", seatunnel[0].1));
    let env = config.get("env").unwrap();
    assert_eq!(env.get("job.mode").and_then(|v| v.text()), Some("STREAMING"));
    assert_eq!(env.get("parallelism").and_then(|v| v.text()), Some("2"));
    let sources = config.get("source").unwrap().entries();
    assert_eq!(sources.len(), 1, "{}", seatunnel[0].1);
    assert_eq!(sources[0].0, "MySQL-CDC");
    let source_output = sources[0].1.get("plugin_output").and_then(|v| v.text()).unwrap().to_owned();
    let transforms = config.get("transform").unwrap().entries();
    let sinks = config.get("sink").unwrap().entries();
    assert_eq!(sinks.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["Kafka", "Console"]);
    for (plugin, block) in sinks {
        let input = block.get("plugin_input").and_then(|v| v.text()).unwrap();
        let upstream = if input == source_output {
            input.to_owned()
        } else {
            let t = transforms
                .iter()
                .find(|(_, t)| t.get("plugin_output").and_then(|v| v.text()) == Some(input))
                .unwrap_or_else(|| panic!("{plugin} reads {input}, which nothing writes"));
            t.1.get("plugin_input").and_then(|v| v.text()).unwrap().to_owned()
        };
        assert_eq!(upstream, source_output, "{plugin} is fed by the one source");
    }
    assert_eq!(sinks[0].1.get("topic").and_then(|v| v.text()), Some("order-events"));
    // the same shape as upstream's one-source, two-sink config
    let reference = hocon::parse(
        &std::fs::read_to_string(
            crate::common::repo()
                .join("tests/fixtures/seatunnel/batch_fake_to_console_with_duplicated_transform.conf"),
        )
        .unwrap(),
    )
    .unwrap();
    let keys = |v: &hocon::Value| v.entries().iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&config), keys(&reference), "env, source, transform, sink");
    for (_, t) in reference.get("transform").unwrap().entries().iter().chain(transforms) {
        for key in ["plugin_input", "plugin_output", "query"] {
            assert!(t.get(key).is_some(), "{key} in {t:?}");
        }
    }

    // Kubernetes: valid against the operator's CRD
    let resources = explain(&client, "EXPLAIN PIPELINE orders_fanout FORMAT kubernetes").await;
    assert_eq!(
        resources.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["orders-fanout-configmap.yaml", "orders-fanout-secret.yaml", "orders-fanout-flinkdeployment.yaml"]
    );
    let (kind, schema) = crd_schema("flinkdeployments.flink.apache.org-v1.yml");
    let deployment: serde_yaml::Value = serde_yaml::from_str(&resources[2].1).unwrap();
    assert_eq!(deployment["kind"].as_str(), Some(kind.as_str()));
    assert_eq!(deployment["apiVersion"].as_str(), Some("flink.apache.org/v1beta1"));
    assert_eq!(validate(&deployment, &schema), Vec::<String>::new(), "{}", resources[2].1);
    // the Secret lists the key the init container reads, with no value until START
    let secret: serde_yaml::Value = serde_yaml::from_str(&resources[1].1).unwrap();
    assert_eq!(metadata(&secret["metadata"]), Vec::<String>::new());
    assert_eq!(secret["metadata"]["name"].as_str(), Some("orders-fanout-secrets"));
    assert_eq!(secret["data"]["SLUICE_SECRET_MARIA_PW"].as_str(), Some(""), "{}", resources[1].1);
    assert_eq!(deployment["spec"]["job"]["upgradeMode"].as_str(), Some("savepoint"));
    assert_eq!(deployment["spec"]["job"]["parallelism"].as_i64(), Some(2));
    assert_eq!(
        deployment["spec"]["job"]["entryClass"].as_str(),
        Some("org.apache.flink.table.runtime.application.SqlDriver")
    );
    let args: Vec<&str> =
        deployment["spec"]["job"]["args"].as_sequence().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert_eq!(args, ["--scriptUri", "file:///opt/sluice/script/pipeline.sql"]);
    let config_map: serde_yaml::Value = serde_yaml::from_str(&resources[0].1).unwrap();
    assert_eq!(metadata(&config_map["metadata"]), Vec::<String>::new());
    assert_eq!(
        config_map["data"]["pipeline.sql"].as_str(),
        Some(script.as_str()),
        "the ConfigMap holds the Flink SQL script"
    );
    let env = &deployment["spec"]["jobManager"]["podTemplate"]["spec"]["initContainers"][0]["env"][0];
    assert_eq!(env["name"].as_str(), Some("SLUICE_SECRET_MARIA_PW"));
    assert_eq!(env["valueFrom"]["secretKeyRef"]["key"].as_str(), Some("SLUICE_SECRET_MARIA_PW"));
    for (_, yaml) in &resources {
        assert!(!yaml.contains(SOURCE_PASSWORD));
    }

    // the session-cluster form
    let session = explain(
        &client,
        "EXPLAIN PIPELINE orders_fanout FORMAT kubernetes WITH (mode = 'session', session_cluster = 'shared', namespace = 'flink', flink_version = 'v2_0')",
    )
    .await;
    let (kind, schema) = crd_schema("flinksessionjobs.flink.apache.org-v1.yml");
    let job: serde_yaml::Value = serde_yaml::from_str(&session[0].1).unwrap();
    assert_eq!(job["kind"].as_str(), Some(kind.as_str()));
    assert_eq!(validate(&job, &schema), Vec::<String>::new(), "{}", session[0].1);
    assert_eq!(job["spec"]["deploymentName"].as_str(), Some("shared"));
    assert_eq!(job["metadata"]["namespace"].as_str(), Some("flink"));
    let (state, msg, _) =
        failure(&client, "EXPLAIN PIPELINE orders_fanout FORMAT kubernetes WITH (flink_version = 'v3_0')")
            .await;
    assert_eq!(state, "22023", "{msg}");
    let (state, msg, _) =
        failure(&client, "EXPLAIN PIPELINE orders_fanout FORMAT kubernetes WITH (namespce = 'x')").await;
    assert_eq!(state, "22023", "{msg}");

    // Flink CDC moves tables one to one: a fan-out is refused with a hint
    let e =
        client.batch_execute("EXPLAIN PIPELINE orders_fanout FORMAT flink_cdc").await.expect_err("fan-out");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "0A000");
    assert!(
        db.message().contains("several sinks") && db.hint().unwrap_or_default().contains("seatunnel"),
        "{db:?}"
    );

    // the DAG: one source node feeding two transforms
    let described = text_rows(&client, "DESCRIBE PIPELINE orders_fanout").await;
    let kinds: Vec<&str> = described.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "source").count(), 1, "{described:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "sink").count(), 2);
    let source = described.iter().find(|r| r[1] == "source").unwrap();
    assert!(source[5].contains("read once by 2"), "{source:?}");
    let json: serde_json::Value =
        serde_json::from_str(&explain(&client, "EXPLAIN PIPELINE orders_fanout FORMAT json").await[0].1)
            .unwrap();
    assert_eq!(json["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(json["edges"].as_array().unwrap().len(), 4);
    assert_eq!(json["mode"], "streaming");
    let mermaid = &explain(&client, "EXPLAIN PIPELINE orders_fanout FORMAT mermaid").await[0].1;
    assert!(mermaid.starts_with("flowchart LR") && mermaid.matches("-->").count() == 4, "{mermaid}");
    let text = text_rows(&client, "EXPLAIN PIPELINE orders_fanout").await;
    assert!(text.iter().any(|r| r[0].contains("read once, fans out to 2")), "{text:?}");
    maria.drop().await;
}

#[tokio::test]
async fn batch_pipelines_read_and_write_through_jdbc() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_source(&client, &pg, "pg").await;
    sinks(&client).await;
    let (m, p) = (maria.name.as_str(), pg.name.as_str());
    // batch: JDBC scans of both databases into a JDBC write (PostgreSQL)
    client
        .batch_execute(&format!(
            "CREATE PIPELINE nightly WITH (mode = 'batch') AS $$ BEGIN
               INSERT INTO pg.{p}.orders (id, amount, name) SELECT id, amount, name FROM maria.{m}.orders;
               INSERT INTO out.console SELECT id, amount FROM pg.{p}.orders;
             END $$"
        ))
        .await
        .unwrap();
    let script = &explain(&client, "EXPLAIN PIPELINE nightly FORMAT flink_sql").await[0].1;
    assert!(script.contains(&format!("'url' = 'jdbc:mysql://127.0.0.1:3306/{m}'")), "{script}");
    assert!(
        script.contains("'url' = 'jdbc:postgresql://127.0.0.1:5432/test?stringtype=unspecified'"),
        "{script}"
    );
    assert!(script.contains(&format!("'table-name' = '{p}.orders'")), "{script}");
    assert!(
        !script.contains("cdc") && !script.contains("checkpointing"),
        "batch reads are snapshots: {script}"
    );
    // pg.orders is written and read with the same JDBC options: one definition
    assert_eq!(script.matches("CREATE TEMPORARY TABLE").count(), 3, "{script}");
    let config =
        hocon::parse(&explain(&client, "EXPLAIN PIPELINE nightly FORMAT seatunnel").await[0].1).unwrap();
    let sink = &config.get("sink").unwrap().entries()[0];
    assert_eq!(sink.0, "Jdbc");
    assert_eq!(sink.1.get("generate_sink_sql").and_then(|v| v.text()), Some("true"));
    assert_eq!(sink.1.get("table").and_then(|v| v.text()), Some(format!("{p}.orders").as_str()));

    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn flink_cdc_yaml_has_the_upstream_blocks() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    maria
        .execute(&format!("CREATE TABLE {}.users (id INT PRIMARY KEY, email VARCHAR(80))", maria.name))
        .await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    client
        .batch_execute(
            "CREATE TABLE k.users (id INT, email STRING) WITH (topic = 'users');
             CREATE TABLE k.orders (id INT, amount DECIMAL(10, 2)) WITH (topic = 'orders')",
        )
        .await
        .unwrap();
    let m = &maria.name;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE sync WITH (engine = 'flink-cdc', parallelism = 3) AS $$ BEGIN
               INSERT INTO k.orders SELECT id, amount FROM maria.{m}.orders WHERE amount > 2;
               INSERT INTO k.users SELECT id, UPPER(email) FROM maria.{m}.users;
             END $$"
        ))
        .await
        .unwrap();
    let yaml = &explain(&client, "EXPLAIN PIPELINE sync FORMAT flink_cdc").await[0].1;
    let ours: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    let dir = crate::common::repo().join("tests/fixtures/flink-cdc");
    let full: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("pipeline-definition-full.yaml")).unwrap())
            .unwrap();
    let keys = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_mapping()
            .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    for block in keys(&ours) {
        assert!(keys(&full).contains(&block), "{block} is a Flink CDC block");
    }
    assert_eq!(keys(&ours), ["source", "sink", "route", "transform", "pipeline"]);
    assert_eq!(ours["source"]["type"].as_str(), Some("mysql"));
    assert_eq!(ours["source"]["hostname"].as_str(), Some("127.0.0.1"));
    assert_eq!(ours["source"]["port"].as_u64(), Some(3306));
    assert_eq!(ours["source"]["password"].as_str(), Some("${SLUICE_SECRET_MARIA_PW}"));
    assert_eq!(ours["source"]["tables"].as_str(), Some(format!("{m}.orders,{m}.users").as_str()));
    assert_eq!(ours["sink"]["type"].as_str(), Some("kafka"));
    for (i, (from, to)) in [("orders", "orders"), ("users", "users")].iter().enumerate() {
        assert_eq!(ours["route"][i]["source-table"].as_str(), Some(format!("{m}.{from}").as_str()));
        assert_eq!(ours["route"][i]["sink-table"].as_str(), Some(*to));
    }
    // route entries have the upstream keys
    let upstream_route: Vec<String> = keys(&full["route"][0]);
    for key in keys(&ours["route"][0]) {
        assert!(upstream_route.contains(&key), "{key}");
    }
    assert_eq!(ours["transform"][0]["filter"].as_str(), Some("`amount` > 2"));
    assert_eq!(ours["transform"][1]["projection"].as_str(), Some("`id`, UPPER(`email`) AS `email`"));
    assert_eq!(ours["pipeline"]["parallelism"].as_u64(), Some(3));
    assert!(!yaml.contains(SOURCE_PASSWORD));
    maria.drop().await;
}

/// Every `;`-separated statement of a script, tokenized as Flink does (backtick names).
fn statements(script: &str) -> Vec<Vec<Token>> {
    let tokens =
        Tokenizer::new(&MySqlDialect {}, script).tokenize().unwrap_or_else(|e| panic!("{e}\n{script}"));
    tokens
        .split(|t| *t == Token::SemiColon)
        .map(|s| s.iter().filter(|t| !matches!(t, Token::Whitespace(_))).cloned().collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test]
async fn names_and_values_that_need_quotes_cannot_break_the_script() {
    if !require("MariaDB on 127.0.0.1 and perl", mariadb_up().await && have_program("perl")) {
        return;
    }
    let maria = MariaDb::create().await;
    maria
        .execute(&format!(
            "CREATE TABLE {}.`order` (`id` INT PRIMARY KEY, `unit price` DOUBLE, `select` VARCHAR(10), `we``ird` INT)",
            maria.name
        ))
        .await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    client
        .batch_execute(&format!(
            "CREATE TABLE out.prices (\"unit price\" DOUBLE, \"select\" STRING, \"we`ird\" INT);
             CREATE PIPELINE quoted AS INSERT INTO out.prices SELECT \"unit price\", \"select\", \"we`ird\" FROM maria.{}.\"order\" WHERE \"select\" <> 'it''s'",
            maria.name
        ))
        .await
        .unwrap();
    let script = explain(&client, "EXPLAIN PIPELINE quoted FORMAT flink_sql").await[0].1.clone();
    let parsed = statements(&script);
    // SETs, two tables, one INSERT: no name or value split a statement
    let kinds: Vec<String> = parsed.iter().map(|s| s[0].to_string().to_uppercase()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "CREATE").count(), 2, "{script}");
    assert_eq!(kinds.last().map(String::as_str), Some("INSERT"), "{script}");
    assert!(kinds.iter().all(|k| k == "SET" || k == "CREATE" || k == "INSERT"), "{kinds:?}\n{script}");
    let words: Vec<String> = parsed
        .concat()
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) if w.quote_style == Some('`') => Some(w.value.clone()),
            _ => None,
        })
        .collect();
    for name in ["unit price", "select", "we`ird"] {
        assert!(words.iter().any(|w| w == name), "`{name}` is one quoted name: {words:?}\n{script}");
    }
    let literals: Vec<String> = parsed
        .concat()
        .iter()
        .filter_map(|t| match t {
            Token::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert!(literals.contains(&"order".to_owned()), "'table-name' = 'order': {literals:?}");
    assert!(
        literals.contains(&"it's".to_owned()),
        "the print identifier and the filter keep their quote: {literals:?}"
    );

    // the secret placeholder, filled in as the Kubernetes init container does, stays one
    // literal whatever the password holds
    let resources = explain(&client, "EXPLAIN PIPELINE quoted FORMAT kubernetes").await;
    let deployment: serde_yaml::Value = serde_yaml::from_str(&resources[2].1).unwrap();
    let init = &deployment["spec"]["jobManager"]["podTemplate"]["spec"]["initContainers"][0];
    let command: Vec<String> =
        init["command"].as_sequence().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let config_map: serde_yaml::Value = serde_yaml::from_str(&resources[0].1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.sql");
    let rendered = dir.path().join("pipeline.sql");
    std::fs::write(&template, config_map["data"]["pipeline.sql"].as_str().unwrap()).unwrap();
    assert_eq!(&command[..2], ["perl", "-e"]);
    let out = std::process::Command::new("perl")
        .args(["-e", &command[2]])
        .arg(&template)
        .arg(&rendered)
        .env("SLUICE_SECRET_MARIA_PW", SOURCE_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let filled = std::fs::read_to_string(&rendered).unwrap();
    let tokens = statements(&filled);
    assert_eq!(tokens.len(), parsed.len(), "the password added no statement:\n{filled}");
    let passwords: Vec<String> = tokens
        .concat()
        .windows(3)
        .filter_map(|w| match w {
            [Token::SingleQuotedString(k), Token::Eq, Token::SingleQuotedString(v)] if k == "password" => {
                Some(v.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(passwords, [SOURCE_PASSWORD]);
    // a missing secret stops the pod rather than starting with a placeholder
    let out = std::process::Command::new("perl")
        .args(["-e", &command[2]])
        .arg(&template)
        .arg(&rendered)
        .output()
        .unwrap();
    assert!(!out.status.success());
    maria.drop().await;
}

#[tokio::test]
async fn streaming_windows_validate_compile_for_flink_and_are_refused_where_they_cannot_run() {
    let server = TestServer::start();
    let client = server.client().await;
    sinks(&client).await;
    client
        .batch_execute(
            "CREATE TABLE k.clicks (user_id BIGINT, url STRING, ts TIMESTAMP(3), pt AS PROCTIME(),
               WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (topic = 'clicks');
             CREATE TABLE out.counts (window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id BIGINT, clicks BIGINT);
             CREATE PIPELINE per_user AS
               INSERT INTO out.counts
               SELECT window_start, window_end, user_id, COUNT(*) FROM TABLE(TUMBLE(TABLE k.clicks, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
               GROUP BY window_start, window_end, user_id",
        )
        .await
        .unwrap();
    let create = &text_rows(&client, "SHOW CREATE PIPELINE per_user").await[0][1];
    assert!(
        create.contains("FROM TABLE(TUMBLE(TABLE k.clicks, DESCRIPTOR(ts), INTERVAL '5' MINUTE))"),
        "{create}"
    );
    let script = &explain(&client, "EXPLAIN PIPELINE per_user FORMAT flink_sql").await[0].1;
    assert!(
        script.contains("FROM TABLE(TUMBLE(TABLE `k_clicks`, DESCRIPTOR(`ts`), INTERVAL '5' MINUTE))"),
        "{script}"
    );
    assert!(
        script.contains("`pt` AS PROCTIME()")
            && script.contains("WATERMARK FOR `ts` AS ts - INTERVAL '5' SECOND"),
        "{script}"
    );
    // a window's output feeds a sink of the wrong type: checked like any column
    let (state, msg, _) = failure(
        &client,
        "CREATE PIPELINE wrong AS INSERT INTO out.wide SELECT user_id, window_start, window_end \
         FROM TABLE(HOP(TABLE k.clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))",
    )
    .await;
    assert_eq!(state, "42804", "{msg}");
    assert!(msg.contains("label"), "{msg}");
    for (statement, names) in [
        ("PREVIEW PIPELINE per_user", "k.clicks"),
        ("EXPLAIN PIPELINE per_user FORMAT seatunnel", "TUMBLE"),
        (
            "PREVIEW INSERT INTO out.wide SELECT user_id, url, CAST(PROCTIME() AS DATE) FROM k.clicks",
            "k.clicks",
        ),
    ] {
        let (state, msg, _) = failure(&client, statement).await;
        assert_eq!(state, "0A000", "{statement}: {msg}");
        assert!(msg.contains(names), "{statement}: {msg}");
    }
}

#[tokio::test]
async fn a_pulsar_token_reaches_flink_and_seatunnel_as_a_placeholder() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute(
            "CREATE SECRET pulsar_jwt AS 'eyJ-secret-jwt';
             CREATE SOURCE bus TYPE pulsar WITH (service_url = 'pulsar://broker:6650', admin_url = 'http://broker:8080', auth_token = SECRET pulsar_jwt);
             CREATE TABLE bus.orders (id INT, amount DECIMAL(10, 2)) WITH (topic = 'persistent://shop/ods/orders');
             CREATE SOURCE out TYPE print;
             CREATE TABLE out.console (id INT, amount DECIMAL(10, 2));
             CREATE TABLE bus.big (id INT, amount DECIMAL(10, 2)) WITH (topic = 'persistent://shop/ods/big');
             CREATE PIPELINE from_bus WITH (mode = 'streaming') AS $$ BEGIN
               INSERT INTO out.console SELECT id, amount FROM bus.orders;
               INSERT INTO bus.big SELECT id, amount FROM bus.orders WHERE amount > 100;
             END $$;",
        )
        .await
        .unwrap();
    let script = &explain(&client, "EXPLAIN PIPELINE from_bus FORMAT flink_sql").await[0].1;
    assert!(
        script.contains(
            "'pulsar.client.authPluginClassName' = 'org.apache.pulsar.client.impl.auth.AuthenticationToken'"
        ) && script.contains("'pulsar.client.authParams' = 'token:${SLUICE_SECRET_PULSAR_JWT}'"),
        "{script}"
    );
    let config =
        hocon::parse(&explain(&client, "EXPLAIN PIPELINE from_bus FORMAT seatunnel").await[0].1).unwrap();
    let (plugin, source) = &config.get("source").unwrap().entries()[0];
    assert_eq!(plugin, "Pulsar");
    assert_eq!(
        source.get("auth.plugin-class").and_then(|v| v.text()),
        Some("org.apache.pulsar.client.impl.auth.AuthenticationToken")
    );
    assert_eq!(source.get("auth.params").and_then(|v| v.text()), Some("token:${SLUICE_SECRET_PULSAR_JWT}"));
    assert_eq!(source.get("topic").and_then(|v| v.text()), Some("persistent://shop/ods/orders"));
    // written too, with the same token
    let (plugin, sink) = &config.get("sink").unwrap().entries()[1];
    assert_eq!(plugin, "Pulsar");
    assert_eq!(sink.get("topic").and_then(|v| v.text()), Some("persistent://shop/ods/big"));
    assert_eq!(sink.get("auth.params").and_then(|v| v.text()), Some("token:${SLUICE_SECRET_PULSAR_JWT}"));
    assert_eq!(script.matches("'pulsar.client.authParams' = 'token:${SLUICE_SECRET_PULSAR_JWT}'").count(), 2);
    assert!(!script.contains("eyJ-secret-jwt"));
}
