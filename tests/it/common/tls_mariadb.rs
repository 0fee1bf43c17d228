//! A MariaDB server of its own that speaks TLS, for the tests of MySQL `ssl_mode`: the
//! machine's MariaDB has TLS disabled. It runs the machine's `mariadbd` on a free port over
//! a fresh data directory, with a certificate signed by a test CA for `DNS:localhost` only
//! (so that a host of `127.0.0.1` does not match it), and is stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::have_program;
use super::https_fake::ca_signed_certificate_for;

pub struct TlsMariaDb {
    pub port: u16,
    /// The CA that signed the server's certificate.
    pub ca: PathBuf,
    /// Another CA, which signed nothing the server has.
    pub other_ca: PathBuf,
    socket: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// Whether this machine can run one (MariaDB's server and tools, and openssl).
pub fn available() -> bool {
    ["mariadbd", "mariadb-install-db", "mysql", "openssl"].iter().all(|p| have_program(p))
}

impl TlsMariaDb {
    pub fn start() -> TlsMariaDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let (ca, cert, key) = ca_signed_certificate_for(dir.path(), "DNS:localhost");
        let other = dir.path().join("other");
        std::fs::create_dir(&other).expect("dir");
        let (other_ca, _, _) = ca_signed_certificate_for(&other, "DNS:localhost");
        let data = dir.path().join("data");
        let user = if is_root() { "--user=root" } else { "--skip-name-resolve" };
        let installed = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--auth-root-authentication-method=normal", "--skip-test-db", user])
            .arg(format!("--datadir={}", data.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("mariadb-install-db runs");
        assert!(installed.success(), "mariadb-install-db failed");
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let socket = dir.path().join("mysqld.sock");
        let path = |p: &PathBuf| p.display().to_string();
        let child = Command::new("mariadbd")
            .args(["--no-defaults", user, "--bind-address=127.0.0.1", "--skip-log-bin"])
            .args(["--innodb-buffer-pool-size=16M", "--performance-schema=OFF"])
            .arg(format!("--datadir={}", path(&data)))
            .arg(format!("--port={port}"))
            .arg(format!("--socket={}", path(&socket)))
            .arg(format!("--pid-file={}", path(&dir.path().join("mysqld.pid"))))
            .arg(format!("--ssl-ca={}", path(&ca)))
            .arg(format!("--ssl-cert={}", path(&cert)))
            .arg(format!("--ssl-key={}", path(&key)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd starts");
        let server = TlsMariaDb { port, ca, other_ca, socket, child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server.try_execute("SELECT 1") {
            assert!(Instant::now() < deadline, "the TLS MariaDB did not start on port {port}");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// Runs `sql` as root over the server's socket.
    pub fn execute(&self, sql: &str) {
        assert!(self.try_execute(sql), "{sql} failed on the TLS MariaDB");
    }

    fn try_execute(&self, sql: &str) -> bool {
        Command::new("mysql")
            .args(["--no-defaults", "-uroot"])
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-e", sql])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for TlsMariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
