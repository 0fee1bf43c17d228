//! Settings: command-line flags, then `SLUICE_*` environment variables, then the TOML
//! file given with `--config`, then defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Deserialize;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Whether clients connect over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connections only (TLS requests are declined).
    Disable,
    /// TLS for clients that ask for it (needs --tls-cert/--tls-key).
    Allow,
    /// TLS only: a plain start-up is refused (28000), as PostgreSQL's hostssl-only.
    Require,
}

/// `sluice serve` flags. Each may also come from the environment or the config file.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address for PostgreSQL clients [default: 127.0.0.1:5454]
    #[arg(long, env = "SLUICE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the catalog database, keys and the initial password [default: ./sluice-data]
    #[arg(long, env = "SLUICE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Metadata store: sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data directory]
    #[arg(long, env = "SLUICE_METADATA_URL", hide_env_values = true)]
    pub metadata_url: Option<String>,
    /// Address of the HTTP side port (/healthz, /metrics) [default: 127.0.0.1:5455]
    #[arg(long, env = "SLUICE_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Address of the https artifact endpoint that Kubernetes session jobs fetch their
    /// runner jar and script from (needs --tls-cert/--tls-key) [default: off]
    #[arg(long, env = "SLUICE_ARTIFACTS_LISTEN")]
    pub artifacts_listen: Option<SocketAddr>,
    /// The artifact endpoint's URL as the Flink operator reaches it, e.g.
    /// https://sluice.sluice.svc:5456 [default: https://<artifacts-listen>]
    #[arg(long, env = "SLUICE_ARTIFACTS_URL")]
    pub artifacts_url: Option<String>,
    /// TOML file with any of these settings
    #[arg(long, env = "SLUICE_CONFIG")]
    pub config: Option<PathBuf>,
    /// File holding the first superuser's password (else SLUICE_PASSWORD, else generated)
    #[arg(long, env = "SLUICE_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// PEM certificate chain for TLS (with --tls-key)
    #[arg(long, env = "SLUICE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS (with --tls-cert)
    #[arg(long, env = "SLUICE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// TLS for clients: disable, allow or require [default: allow with a certificate, else disable]
    #[arg(long, env = "SLUICE_TLS_MODE", value_enum)]
    pub tls_mode: Option<TlsMode>,
    /// Sessions at once for roles that are not superusers (53300 beyond) [default: 100]
    #[arg(long, env = "SLUICE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Sessions superusers may open beyond --max-connections [default: 3]
    #[arg(long, env = "SLUICE_SUPERUSER_RESERVED_CONNECTIONS")]
    pub superuser_reserved_connections: Option<usize>,
    /// How long a failed login waits before it is answered, e.g. 500ms [default: 500ms]
    #[arg(long, env = "SLUICE_AUTH_DELAY")]
    pub auth_delay: Option<String>,
    /// Failed logins from one address within --auth-failure-window after which its
    /// logins are refused until the window passes [default: 10]
    #[arg(long, env = "SLUICE_AUTH_FAILURE_LIMIT")]
    pub auth_failure_limit: Option<u32>,
    /// The window of --auth-failure-limit, e.g. 1min [default: 1min]
    #[arg(long, env = "SLUICE_AUTH_FAILURE_WINDOW")]
    pub auth_failure_window: Option<String>,
    /// Log format [default: text]
    #[arg(long, env = "SLUICE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `sluice=debug` [default: info]
    #[arg(long, env = "SLUICE_LOG")]
    pub log: Option<String>,
    /// This gateway's name among those sharing a metadata store [default: host:pid:random]
    #[arg(long, env = "SLUICE_GATEWAY_ID")]
    pub gateway_id: Option<String>,
    /// How long a schedule run stays with its gateway without a renewal, e.g. 15s
    /// (another gateway takes it over after that) [default: 15s]
    #[arg(long, env = "SLUICE_RUN_LEASE")]
    pub run_lease: Option<String>,
    /// Where OpenLineage run events of deployments go: an http(s):// URL they are POSTed
    /// to (e.g. http://marquez:5000/api/v1/lineage), or a file they are appended to, one
    /// JSON document per line (file:///path, or a path) [default: none, no events]
    #[arg(long, env = "SLUICE_OPENLINEAGE_URL")]
    pub openlineage_url: Option<String>,
    /// The namespace of jobs in OpenLineage events [default: sluice]
    #[arg(long, env = "SLUICE_OPENLINEAGE_NAMESPACE")]
    pub openlineage_namespace: Option<String>,
}

/// The config file (all keys optional, unknown keys rejected).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    metadata_url: Option<String>,
    http_listen: Option<SocketAddr>,
    password_file: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_mode: Option<TlsMode>,
    max_connections: Option<usize>,
    superuser_reserved_connections: Option<usize>,
    auth_delay: Option<String>,
    auth_failure_limit: Option<u32>,
    auth_failure_window: Option<String>,
    artifacts_listen: Option<SocketAddr>,
    artifacts_url: Option<String>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    gateway_id: Option<String>,
    run_lease: Option<String>,
    openlineage_url: Option<String>,
    openlineage_namespace: Option<String>,
}

/// A value that must not be printed; `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Limits on client connections and logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sessions at once for roles that are not superusers.
    pub max_connections: usize,
    /// Sessions superusers may open beyond `max_connections`.
    pub superuser_reserved: usize,
    /// How long a failed login waits before it is answered.
    pub auth_delay: std::time::Duration,
    /// Failed logins from one address within `auth_failure_window` after which its
    /// logins are refused until the window passes.
    pub auth_failure_limit: u32,
    pub auth_failure_window: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 100,
            superuser_reserved: 3,
            auth_delay: std::time::Duration::from_millis(500),
            auth_failure_limit: 10,
            auth_failure_window: std::time::Duration::from_secs(60),
        }
    }
}

/// A duration flag (`500ms`, `1min`), at least `min_ms`.
fn duration(
    flag: &str,
    text: Option<String>,
    min_ms: u64,
    default: std::time::Duration,
) -> Result<std::time::Duration, String> {
    match text {
        Some(text) => crate::units::parse_millis(&text)
            .filter(|ms| *ms >= min_ms)
            .map(std::time::Duration::from_millis)
            .ok_or_else(|| {
                format!("invalid {flag} '{text}': expected a duration of at least {min_ms}ms, such as 1s")
            }),
        None => Ok(default),
    }
}

/// The gateway's resolved settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `SLUICE_PASSWORD`: the first superuser's password (used on first start only).
    pub initial_password: Option<Secret>,
    /// `SLUICE_MASTER_KEY`: the key secrets are encrypted with (else `DATA_DIR/master.key`).
    pub master_key: Option<Secret>,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub metadata_url: String,
    pub http_listen: SocketAddr,
    pub password_file: Option<PathBuf>,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Whether clients connect over TLS (`Allow` and `Require` have `tls`).
    pub tls_mode: TlsMode,
    pub limits: Limits,
    /// The https artifact endpoint: where it listens and its public base URL.
    pub artifacts: Option<(SocketAddr, String)>,
    pub log_format: LogFormat,
    pub log: String,
    /// This gateway's name in run leases.
    pub gateway_id: String,
    /// How long a run lease lasts without renewal.
    pub run_lease: std::time::Duration,
    /// Where OpenLineage run events go, if anywhere.
    pub openlineage: Option<OpenLineageConfig>,
}

/// Where OpenLineage events go and how they name jobs.
#[derive(Debug, Clone)]
pub struct OpenLineageConfig {
    pub endpoint: OpenLineageEndpoint,
    pub namespace: String,
    /// `SLUICE_OPENLINEAGE_API_KEY`: sent as `Authorization: Bearer` to an HTTP endpoint.
    pub api_key: Option<Secret>,
}

/// An HTTP receiver or a file.
#[derive(Clone, PartialEq, Eq)]
pub enum OpenLineageEndpoint {
    Http(String),
    File(PathBuf),
}

impl std::fmt::Debug for OpenLineageEndpoint {
    /// The URL without its user information or query (either may hold a key).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenLineageEndpoint::Http(url) => match reqwest::Url::parse(url) {
                Ok(mut u) => {
                    let _ = u.set_username("");
                    let _ = u.set_password(None);
                    u.set_query(None);
                    write!(f, "{u}")
                }
                Err(_) => f.write_str("(an invalid URL)"),
            },
            OpenLineageEndpoint::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl OpenLineageConfig {
    fn resolve(url: Option<String>, namespace: Option<String>) -> Result<Option<OpenLineageConfig>, String> {
        let Some(url) = url.filter(|u| !u.is_empty()) else { return Ok(None) };
        let endpoint = if url.starts_with("http://") || url.starts_with("https://") {
            if reqwest::Url::parse(&url).is_err() {
                return Err("invalid --openlineage-url: not a URL".into());
            }
            OpenLineageEndpoint::Http(url)
        } else if let Some(path) = url.strip_prefix("file://") {
            OpenLineageEndpoint::File(PathBuf::from(path))
        } else if url.contains("://") {
            return Err("invalid --openlineage-url: expected http://, https://, file:// or a path".into());
        } else {
            OpenLineageEndpoint::File(PathBuf::from(url))
        };
        let namespace = namespace.unwrap_or_else(|| "sluice".into());
        let api_key = std::env::var("SLUICE_OPENLINEAGE_API_KEY").ok().filter(|k| !k.is_empty()).map(Secret);
        Ok(Some(OpenLineageConfig { endpoint, namespace, api_key }))
    }
}

impl Config {
    /// Resolves `args` (flags and environment) over the config file and the defaults.
    pub fn resolve(args: ServeArgs) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("sluice-data"));
        let metadata_url = args
            .metadata_url
            .or(file.metadata_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("sluice.db").display()));
        let tls = match (args.tls_cert.or(file.tls_cert), args.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err("--tls-cert and --tls-key must be given together".into()),
        };
        let tls_mode = match (args.tls_mode.or(file.tls_mode), &tls) {
            (Some(TlsMode::Allow | TlsMode::Require), None) => {
                return Err("--tls-mode allow and require need --tls-cert and --tls-key".into());
            }
            (Some(mode), _) => mode,
            (None, Some(_)) => TlsMode::Allow,
            (None, None) => TlsMode::Disable,
        };
        let defaults = Limits::default();
        let limits = Limits {
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(defaults.max_connections),
            superuser_reserved: args
                .superuser_reserved_connections
                .or(file.superuser_reserved_connections)
                .unwrap_or(defaults.superuser_reserved),
            auth_delay: duration("auth delay", args.auth_delay.or(file.auth_delay), 0, defaults.auth_delay)?,
            auth_failure_limit: args
                .auth_failure_limit
                .or(file.auth_failure_limit)
                .unwrap_or(defaults.auth_failure_limit),
            auth_failure_window: duration(
                "auth failure window",
                args.auth_failure_window.or(file.auth_failure_window),
                1000,
                defaults.auth_failure_window,
            )?,
        };
        if limits.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        let artifacts = match args.artifacts_listen.or(file.artifacts_listen) {
            Some(_) if tls.is_none() => {
                return Err("--artifacts-listen serves https: it needs --tls-cert and --tls-key".into());
            }
            Some(listen) => {
                let url =
                    args.artifacts_url.or(file.artifacts_url).unwrap_or_else(|| format!("https://{listen}"));
                if !url.starts_with("https://") {
                    return Err(format!("--artifacts-url must be an https:// URL, not '{url}'"));
                }
                Some((listen, url.trim_end_matches('/').to_owned()))
            }
            None => None,
        };
        let run_lease = match args.run_lease.or(file.run_lease) {
            Some(text) => crate::units::parse_millis(&text)
                .filter(|ms| *ms >= 1000)
                .map(std::time::Duration::from_millis)
                .ok_or_else(|| {
                    format!("invalid run lease '{text}': expected a duration of at least 1s, such as 15s")
                })?,
            None => std::time::Duration::from_secs(15),
        };
        let gateway_id = args.gateway_id.or(file.gateway_id).unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "gateway".into());
            format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
        });
        let openlineage = OpenLineageConfig::resolve(
            args.openlineage_url.or(file.openlineage_url),
            args.openlineage_namespace.or(file.openlineage_namespace),
        )?;
        Ok(Config {
            openlineage,
            gateway_id,
            run_lease,
            initial_password: std::env::var("SLUICE_PASSWORD").ok().map(Secret),
            master_key: std::env::var("SLUICE_MASTER_KEY").ok().map(Secret),
            listen: args.listen.or(file.listen).unwrap_or(([127, 0, 0, 1], 5454).into()),
            http_listen: args.http_listen.or(file.http_listen).unwrap_or(([127, 0, 0, 1], 5455).into()),
            data_dir,
            metadata_url,
            password_file: args.password_file.or(file.password_file),
            tls,
            tls_mode,
            limits,
            artifacts,
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            log: args.log.or(file.log).unwrap_or_else(|| "info".into()),
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid config file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sluice.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:6000\"\nhttp_listen = \"127.0.0.1:6001\"\n").unwrap();
        let args = ServeArgs {
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            config: Some(file),
            ..ServeArgs::default()
        };
        let config = Config::resolve(args).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.http_listen.port(), 6001);
        assert!(config.metadata_url.ends_with("sluice-data/sluice.db"));
    }

    #[test]
    fn openlineage_urls_are_receivers_or_files_and_debug_hides_keys() {
        let resolve = |url: &str| OpenLineageConfig::resolve(Some(url.into()), None);
        let http = resolve("https://u:pw@ol.example:8443/api/v1/lineage?api_key=k").unwrap().unwrap();
        assert_eq!(format!("{:?}", http.endpoint), "https://ol.example:8443/api/v1/lineage");
        assert_eq!(http.namespace, "sluice");
        let file = resolve("file:///var/log/ol.jsonl").unwrap().unwrap();
        assert_eq!(file.endpoint, OpenLineageEndpoint::File(PathBuf::from("/var/log/ol.jsonl")));
        assert_eq!(
            resolve("events.jsonl").unwrap().unwrap().endpoint,
            OpenLineageEndpoint::File("events.jsonl".into())
        );
        assert!(resolve("kafka://broker:9092").unwrap_err().contains("--openlineage-url"));
        assert!(OpenLineageConfig::resolve(None, Some("x".into())).unwrap().is_none());
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sluice.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:6000\"\n").unwrap();
        let err = Config::resolve(ServeArgs { config: Some(file), ..ServeArgs::default() }).unwrap_err();
        assert!(err.contains("listn"), "{err}");
    }
}
