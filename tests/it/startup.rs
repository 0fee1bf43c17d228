//! Starting the binary: settings from flags, environment and file; logs; bad settings.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{PASSWORD, free_port};

/// Spawns `sluice serve` with exactly these arguments and environment (plus the password).
fn spawn(args: &[String], envs: &[(&str, String)], dir: &std::path::Path) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("serve")
        .args(args)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env_remove("SLUICE_LISTEN")
        .env_remove("SLUICE_HTTP_LISTEN")
        .env_remove("SLUICE_METADATA_URL")
        .env("SLUICE_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).unwrap());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn wait_for_port(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn flags_win_over_environment_which_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (file_port, flag_port, env_http, file_http) = (free_port(), free_port(), free_port(), free_port());
    let config = dir.path().join("sluice.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{file_port}\"\nhttp_listen = \"127.0.0.1:{file_http}\"\nlog_format = \"json\"\n"),
    )
    .unwrap();
    let _server = Kill(spawn(
        &[
            "--config".into(),
            config.display().to_string(),
            "--listen".into(),
            format!("127.0.0.1:{flag_port}"),
        ],
        &[("SLUICE_HTTP_LISTEN", format!("127.0.0.1:{env_http}"))],
        dir.path(),
    ));
    assert!(wait_for_port(flag_port), "listens on the flag's port");
    assert!(wait_for_port(env_http), "HTTP on the environment's port");
    assert!(std::net::TcpStream::connect(("127.0.0.1", file_port)).is_err());
    assert!(std::net::TcpStream::connect(("127.0.0.1", file_http)).is_err());
    // log_format = "json" from the file: every line is a JSON object
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value.get("level").is_some() && value.get("fields").is_some(), "{line}");
    }
}

#[test]
fn bad_settings_stop_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sluice.toml");
    std::fs::write(&config, "listen_port = 5454\n").unwrap();
    let status = spawn(&["--config".into(), config.display().to_string()], &[], dir.path()).wait().unwrap();
    assert!(!status.success());
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("listen_port"), "{log}");

    let status = spawn(
        &[
            "--listen".into(),
            format!("127.0.0.1:{}", free_port()),
            "--http-listen".into(),
            format!("127.0.0.1:{}", free_port()),
        ],
        &[("SLUICE_METADATA_URL", "mysql://nope".into())],
        dir.path(),
    )
    .wait()
    .unwrap();
    assert!(!status.success());
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("unsupported metadata URL"), "{log}");

    // the artifact endpoint serves https only
    let listen = format!("127.0.0.1:{}", free_port());
    let status = spawn(&["--artifacts-listen".into(), listen.clone()], &[], dir.path()).wait().unwrap();
    assert!(!status.success());
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("--artifacts-listen serves https: it needs --tls-cert and --tls-key"), "{log}");
    let cert = dir.path().join("any.pem");
    std::fs::write(&cert, "").unwrap();
    let tls =
        ["--tls-cert".into(), cert.display().to_string(), "--tls-key".into(), cert.display().to_string()];
    let mut args =
        vec!["--artifacts-listen".into(), listen, "--artifacts-url".into(), "http://gw:5456".into()];
    args.extend(tls);
    let status = spawn(&args, &[], dir.path()).wait().unwrap();
    assert!(!status.success());
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("--artifacts-url must be an https:// URL"), "{log}");
}
