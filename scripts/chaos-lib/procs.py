"""Processes the fault script drives: the gateway, private PostgreSQL instances, and the
machine's PostgreSQL (only as a client: databases are created and dropped there, the
server itself is never restarted). Everything listens on 127.0.0.1."""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import psycopg

PASSWORD = "chaos-pw"
PG_BIN = "/usr/local/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(cmd):
    """`cmd` run as the postgres user when this script runs as root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def give_to_postgres(path):
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", path], check=True)


class Gateway:
    """One sluice gateway on fixed loopback ports and one data directory; killed with
    SIGKILL and started again on the same ports, data and metadata."""

    def __init__(self, binary, workdir, metadata_url=None):
        self.binary = binary
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.data_dir = os.path.join(workdir, "data")
        self.log_path = os.path.join(workdir, "gateway.log")
        self.metadata_url = metadata_url
        self.port, self.http_port = free_port(), free_port()
        self.proc = None
        self.starts = 0

    @property
    def sqlite_path(self):
        return os.path.join(self.data_dir, "sluice.db")

    def _command(self):
        cmd = [self.binary, "serve", "--data-dir", self.data_dir,
               "--listen", f"127.0.0.1:{self.port}", "--http-listen", f"127.0.0.1:{self.http_port}"]
        if self.metadata_url:
            cmd += ["--metadata-url", self.metadata_url]
        return cmd

    def spawn(self):
        env = dict(os.environ, SLUICE_PASSWORD=PASSWORD, SLUICE_LOG="info")
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== chaos: start #{self.starts} at {time.time():.3f} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self._command(), env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def start(self, timeout=90):
        """Starts the gateway and waits until it answers; new ports when they were taken."""
        for attempt in range(3):
            self.spawn()
            err = self.wait_ready(timeout)
            if err is None:
                return
            if "in use" in err.lower() and attempt < 2:
                self.port, self.http_port = free_port(), free_port()
                continue
            raise RuntimeError(f"gateway did not start: {err}\n{self.log_tail(40)}")

    def wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return f"exited with {self.proc.returncode}: {self.log_tail(15)}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=2):
                    pass
                self.connect(timeout=3).close()
                return None
            except Exception:
                time.sleep(0.1)
        return f"not ready after {timeout}s"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, no shutdown of any kind."""
        if self.proc is None:
            return
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def connect(self, timeout=5):
        return psycopg.connect(host="127.0.0.1", port=self.port, user="sluice", password=PASSWORD,
                               dbname="sluice", autocommit=True, connect_timeout=timeout)

    def log_tail(self, lines=30, grep=None):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        if grep:
            text = [line for line in text if any(g in line for g in grep)]
        return "\n".join(text[-lines:])


class PrivatePostgres:
    """A PostgreSQL instance of its own (initdb into `root`), trust auth, its unix socket
    in `root`, listening on 127.0.0.1 only. Never the machine's own server."""

    def __init__(self, root, name):
        self.root = os.path.join(root, name)
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "postgres.log")
        self.port = free_port()

    def url(self, db="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def _pg_ctl(self, *args, check=True, timeout=120):
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        cmd = as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, *args])
        return subprocess.run(cmd, check=check, timeout=timeout, capture_output=True, text=True)

    def init(self):
        os.makedirs(self.root, exist_ok=True)
        give_to_postgres(self.root)
        cmd = as_postgres([f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                           "-E", "UTF8", "--locale=C", "--no-sync"])
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self):
        self._pg_ctl("-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._pg_ctl("-w", "-t", "60", "-m", mode, "stop", check=False)

    def restart(self, mode="fast"):
        self._pg_ctl("-w", "-t", "60", "-m", mode, "restart")

    def connect(self, db="postgres", timeout=5):
        return psycopg.connect(self.url(db), autocommit=True, connect_timeout=timeout)

    def destroy(self):
        """Stops and removes the instance, keeping its log beside it (NAME.postgres.log)."""
        self.stop("immediate")
        subprocess.run(["cp", self.log, self.root + ".postgres.log"], check=False, capture_output=True)
        subprocess.run(["rm", "-rf", self.root], check=False)


def local_pg(db="postgres"):
    """The machine's PostgreSQL on 127.0.0.1:5432 (as a client only)."""
    return psycopg.connect(f"postgres://postgres@127.0.0.1:5432/{db}", autocommit=True, connect_timeout=5)


def create_database(conn_factory, name):
    with conn_factory() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')


def drop_database(conn_factory, name):
    try:
        with conn_factory() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as e:
        print(f"chaos: could not drop database {name}: {e}")
