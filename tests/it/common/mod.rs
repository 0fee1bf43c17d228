//! A real Sluice server for each test: the built binary, started on free ports with its
//! own data directory, on SQLite or (with `SLUICE_TEST_METADATA=postgres`) on a fresh
//! database in the local PostgreSQL.
//!
//! What the test files share lives here and in the submodules; no test file imports from
//! another.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

pub mod failures;
pub mod fixtures;
pub mod flink;
pub mod gravitino_fake;
pub mod hocon;
pub mod http;
pub mod https_fake;
pub mod k8s_schema;
pub mod kube;
pub mod kube_fake;
pub mod paimon;
pub mod rows;
pub mod sinks;
pub mod sources;
pub mod tls_mariadb;

/// The superuser's password in tests.
pub const PASSWORD: &str = "it-s3cret pass";

/// Whether tests run under CI, where a missing service fails instead of skipping.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Returns whether `what` is available; when it is not, the test should return early.
/// Under CI a missing service is a failure, not a skip.
pub fn require(what: &str, available: bool) -> bool {
    if !available {
        if ci() {
            panic!("{what} is required under CI=true but is not available");
        }
        eprintln!("SKIPPED: {what} is not available");
    }
    available
}

/// The metadata backend tests run against.
pub fn metadata_backend() -> &'static str {
    match std::env::var("SLUICE_TEST_METADATA").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// The `sluice` command with `args` (a client mode), connecting to `server` as its
/// superuser through the PG* variables, as psql would.
pub fn sluice_cli(server: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env_remove("PGSERVICE")
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", "sluice")
        .env("PGPASSWORD", PASSWORD)
        .env("PGDATABASE", "sluice")
        .output()
        .expect("run sluice")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// A running gateway; stopped (and its metadata database dropped) when dropped.
pub struct TestServer {
    pub port: u16,
    pub http_port: u16,
    pub data_dir: tempfile::TempDir,
    pub log: PathBuf,
    child: Child,
    pg_database: Option<String>,
    /// How the server was started, to start it again on the same data ([`TestServer::restart`]).
    command: Vec<String>,
    envs: Vec<(String, String)>,
}

/// Options for starting a server.
#[derive(Default)]
pub struct Options {
    /// Set SLUICE_PASSWORD (default: yes, to [`PASSWORD`]).
    pub no_password_env: bool,
    pub extra_args: Vec<String>,
    pub envs: Vec<(String, String)>,
    /// A metadata store to share with other servers (left in place when this one stops).
    pub metadata_url: Option<String>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> TestServer {
        let mut data_dir = tempfile::tempdir().expect("temp dir");
        let log = data_dir.path().join("sluice.log");
        let mut envs = vec![("SLUICE_LOG".to_owned(), "sluice=debug,info".to_owned())];
        if !options.no_password_env {
            envs.push(("SLUICE_PASSWORD".into(), PASSWORD.into()));
        }
        envs.extend(options.envs.iter().cloned());
        let mut pg_database = None;
        if metadata_backend() == "postgres" && options.metadata_url.is_none() {
            let name = format!("sluice_it_{}_{}", std::process::id(), SERVERS.fetch_add(1, Ordering::SeqCst));
            psql_local(&format!("DROP DATABASE IF EXISTS {name}"));
            psql_local(&format!("CREATE DATABASE {name}"));
            pg_database = Some(name);
        }
        // A port found free can be taken before the server binds it (tests connect out
        // from the same range): then the server exits, and it is started on other ports.
        for attempt in 1.. {
            let (port, http_port) = (free_port(), free_port());
            let mut command: Vec<String> = vec![
                "serve".into(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
                "--http-listen".into(),
                format!("127.0.0.1:{http_port}"),
                "--data-dir".into(),
                data_dir.path().join("data").display().to_string(),
            ];
            command.extend(options.extra_args.iter().cloned());
            if let Some(name) = &pg_database {
                command.push("--metadata-url".into());
                command.push(format!("postgres://postgres@127.0.0.1:5432/{name}"));
            } else if let Some(url) = &options.metadata_url {
                command.push("--metadata-url".into());
                command.push(url.clone());
            }
            let child = spawn(&command, &envs, &log);
            let mut server = TestServer {
                port,
                http_port,
                data_dir,
                log: log.clone(),
                child,
                pg_database: pg_database.clone(),
                command,
                envs: envs.clone(),
            };
            match server.ready() {
                Ok(()) => return server,
                Err(text) if attempt < 3 && text.to_lowercase().contains("in use") => {
                    server.pg_database = None; // kept for the next attempt
                    data_dir =
                        std::mem::replace(&mut server.data_dir, tempfile::tempdir().expect("temp dir"));
                }
                Err(text) => panic!("sluice did not start; log:\n{text}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// Kills the server with SIGKILL (no shutdown of any kind).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server with SIGKILL (no shutdown of any kind) and starts it again on the
    /// same data directory, metadata and ports.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.restart();
    }

    /// Starts a killed server again on the same data directory, metadata and ports.
    pub fn restart(&mut self) {
        let log = self.data_dir.path().join("sluice-restarted.log");
        self.child = spawn(&self.command, &self.envs, &log);
        self.log = log;
        self.wait_ready();
    }

    /// Starts a killed server again with environment variables `changes` set (or, with
    /// `None`, removed); the server's log when it does not start.
    pub fn try_restart_with(&mut self, changes: &[(&str, Option<&str>)]) -> Result<(), String> {
        for (key, value) in changes {
            self.envs.retain(|(k, _)| k != key);
            if let Some(v) = value {
                self.envs.push(((*key).to_owned(), (*v).to_owned()));
            }
        }
        let log = self.data_dir.path().join("sluice-restarted.log");
        self.child = spawn(&self.command, &self.envs, &log);
        self.log = log;
        self.ready()
    }

    /// The flags that name this server's data directory and metadata store, for other
    /// `sluice` commands on the same catalog.
    pub fn store_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for flag in ["--data-dir", "--metadata-url"] {
            if let Some(i) = self.command.iter().position(|a| a == flag) {
                out.push(flag.to_owned());
                out.push(self.command[i + 1].clone());
            }
        }
        out
    }

    fn wait_ready(&mut self) {
        if let Err(text) = self.ready() {
            panic!("sluice did not start; log:\n{text}");
        }
    }

    /// Waits until the server accepts connections; its log if it exits or takes a minute.
    fn ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(self.log_text())
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A libpq-style connection string for `user`/`password`.
    pub fn conn_str(&self, user: &str, password: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} password='{}' dbname=sluice",
            self.port,
            password.replace('\'', "\\'")
        )
    }

    /// A URL for clients that take one (sqlx, SQLAlchemy, JDBC without the scheme).
    pub fn url(&self, user: &str, password: &str) -> String {
        format!("postgres://{user}:{}@127.0.0.1:{}/sluice", urlencode(password), self.port)
    }

    /// tokio-postgres connected as the superuser.
    pub async fn client(&self) -> Client {
        self.client_as("sluice", PASSWORD).await.expect("connect as sluice")
    }

    pub async fn client_as(&self, user: &str, password: &str) -> Result<Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::connect(&self.conn_str(user, password), NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// The metadata database in the local PostgreSQL, with the postgres backend.
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_database.as_deref()
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(db) = &self.pg_database {
            psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
    }
}

fn spawn(args: &[String], envs: &[(String, String)], log: &Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(args)
        .env_remove("SLUICE_PASSWORD")
        .env_remove("SLUICE_METADATA_URL")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start sluice")
}

pub fn psql_local(sql: &str) {
    let status = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .stdout(Stdio::null())
        .status();
    assert!(status.is_ok_and(|s| s.success()), "local PostgreSQL failed: {sql}");
}

/// The form-decoded pairs of a URL's query (`a=1&b=x+y%21`), as fakes of REST APIs read
/// them.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    match reqwest::Url::parse(&format!("http://fake/?{query}")) {
        Ok(url) => url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        Err(_) => Vec::new(),
    }
}

/// A self-signed EC certificate and its key (openssl), made with `subject` (`-subj`,
/// `-addext` arguments) in `dir`.
pub fn self_signed_certificate(dir: &Path, subject: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args(subject)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl made no certificate");
    (cert, key)
}

/// Whether a program is on PATH.
pub fn have_program(name: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The SQLSTATE of a tokio-postgres error (panics when it is not a server error).
pub fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.as_db_error().map(|d| d.code().code().to_owned()).unwrap_or_else(|| panic!("not a server error: {e:?}"))
}

/// The server's message of a tokio-postgres error.
pub fn message(e: &tokio_postgres::Error) -> String {
    e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_else(|| e.to_string())
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python interpreter of the venv `scripts/test.sh` prepares (or SLUICE_TEST_PYTHON).
pub fn python() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("SLUICE_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    path.exists().then_some(path)
}

/// A `numeric` value as PostgreSQL prints it, decoded from its binary form (tokio-postgres
/// has no numeric type of its own): `ndigits, weight, sign, dscale` and base-10000 digits.
pub struct NumericText(pub String);

impl<'a> tokio_postgres::types::FromSql<'a> for NumericText {
    fn from_sql(
        _: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word = |i: usize| -> Result<i16, String> {
            let bytes = raw.get(2 * i..2 * i + 2).ok_or("a short numeric")?;
            Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
        };
        let (count, weight, sign, scale) =
            (word(0)? as i64, word(1)? as i64, word(2)? as u16, word(3)? as usize);
        if sign == 0xC000 {
            return Ok(NumericText("NaN".into()));
        }
        let digit = |i: i64| -> Result<i64, String> {
            if (0..count).contains(&i) { word(4 + i as usize).map(i64::from) } else { Ok(0) }
        };
        let mut text = if sign == 0x4000 { String::from("-") } else { String::new() };
        let whole: Vec<i64> = (0..=weight).map(digit).collect::<Result<_, _>>()?;
        match whole.split_first() {
            Some((first, rest)) => {
                text.push_str(&first.to_string());
                rest.iter().for_each(|d| text.push_str(&format!("{d:04}")));
            }
            None => text.push('0'),
        }
        if scale > 0 {
            let mut fraction = String::new();
            for f in 1..=scale.div_ceil(4) as i64 {
                fraction.push_str(&format!("{:04}", digit(weight + f)?));
            }
            text.push('.');
            text.push_str(&fraction[..scale]);
        }
        Ok(NumericText(text))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        *ty == tokio_postgres::types::Type::NUMERIC
    }
}
