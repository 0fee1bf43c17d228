//! The master key and the catalog: a gateway started with a key other than the one the
//! catalog's secrets are sealed with stops at start, naming both keys' fingerprints (never
//! the keys); `sluice rotate-master-key` re-encrypts every secret under a new key, after
//! which the secrets read back (a live read through a source's password) under the new
//! key only — for a key in SLUICE_MASTER_KEY and for one in DATA_DIR/master.key.

use std::process::{Command, Output};

use crate::common::fixtures::{MariaDb, mariadb_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{Options, TestServer, require};

/// Sluice's fingerprint of a key given as 64 hex digits: SHA-256 under its label, the
/// first 16 hex digits as messages show it.
fn short_fingerprint(hex: &str) -> String {
    let bytes: Vec<u8> =
        (0..64).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(b"sluice master key fingerprint v1\0");
    context.update(&bytes);
    context.finish().as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `sluice rotate-master-key` on `server`'s catalog with environment `envs`.
fn rotate(server: &TestServer, envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("rotate-master-key").args(server.store_args());
    for key in ["SLUICE_METADATA_URL", "SLUICE_MASTER_KEY", "SLUICE_NEW_MASTER_KEY", "SLUICE_PASSWORD"] {
        cmd.env_remove(key);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("sluice runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn orders_read_live(server: &TestServer, maria: &MariaDb) -> String {
    let client = server.client().await;
    rows(&client, &format!("SELECT count(*) FROM maria.{}.orders", maria.name)).await[0][0].clone()
}

#[tokio::test]
async fn a_gateway_with_another_key_does_not_start_and_rotation_moves_the_secrets() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let (a, b) = ("11".repeat(32), "22".repeat(32));
    let maria = MariaDb::create().await;
    let mut server = TestServer::start_with(Options {
        envs: vec![("SLUICE_MASTER_KEY".into(), a.clone())],
        ..Options::default()
    });
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    client.batch_execute("CREATE SECRET spare AS 'kept'").await.unwrap();
    assert_eq!(orders_read_live(&server, &maria).await, "20");
    drop(client);

    // another key: the gateway stops at start, naming both fingerprints
    server.kill();
    let refused = server.try_restart_with(&[("SLUICE_MASTER_KEY", Some(&b))]).expect_err("another key");
    assert!(
        refused.contains("is not the one this catalog's secrets are sealed with")
            && refused.contains(&short_fingerprint(&a))
            && refused.contains(&short_fingerprint(&b))
            && refused.contains("rotate-master-key"),
        "{refused}"
    );
    assert!(!refused.contains(&a) && !refused.contains(&b), "{refused}");

    // rotation needs the current key, and a new one when the current is in the environment
    let wrong = rotate(&server, &[("SLUICE_MASTER_KEY", &b), ("SLUICE_NEW_MASTER_KEY", &"33".repeat(32))]);
    assert!(!wrong.status.success() && text(&wrong.stderr).contains("is not the one"), "{wrong:?}");
    let missing = rotate(&server, &[("SLUICE_MASTER_KEY", &a)]);
    assert!(
        !missing.status.success() && text(&missing.stderr).contains("SLUICE_NEW_MASTER_KEY"),
        "{missing:?}"
    );
    let done = rotate(&server, &[("SLUICE_MASTER_KEY", &a), ("SLUICE_NEW_MASTER_KEY", &b)]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert_eq!(
        text(&done.stdout).trim(),
        format!(
            "re-encrypted 2 secrets: master key {} → {}; start the gateways with the new key in SLUICE_MASTER_KEY",
            short_fingerprint(&a),
            short_fingerprint(&b)
        )
    );

    // the new key reads every secret; the old one no longer starts a gateway
    server.try_restart_with(&[("SLUICE_MASTER_KEY", Some(&b))]).expect("the new key");
    assert_eq!(orders_read_live(&server, &maria).await, "20");
    let client = server.client().await;
    let events =
        rows(&client, "SELECT actor, action, detail FROM sluice.events WHERE object_kind = 'master key'")
            .await;
    assert_eq!(events, [["(rotate-master-key)", "rotate", "2 secrets re-encrypted"]]);
    drop(client);
    server.kill();
    assert!(server.try_restart_with(&[("SLUICE_MASTER_KEY", Some(&a))]).is_err());
    maria.drop().await;
}

#[tokio::test]
async fn a_key_file_is_replaced_by_the_rotated_key() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let mut server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    drop(client);
    let file = server.data_path().join("data").join("master.key");
    let before = std::fs::read_to_string(&file).expect("the key file the first start wrote");
    server.kill();

    let done = rotate(&server, &[]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let out = text(&done.stdout);
    assert!(
        out.starts_with("re-encrypted 1 secrets: master key ") && out.contains(&file.display().to_string()),
        "{out}"
    );
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before.trim(), after.trim());
    assert!(!file.with_file_name("master.key.new").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    server.try_restart_with(&[]).expect("the rotated key file");
    assert_eq!(orders_read_live(&server, &maria).await, "20");
    maria.drop().await;
}
