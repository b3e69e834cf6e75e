"""Fixtures shared by every test: an isolated HOME/XDG, fast sim configs, a CLI runner."""
from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import os
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL, PIPE, Popen
from subprocess import run as run_process
from urllib.parse import urlsplit

import psycopg
import pytest

from tui.model.stateref import StateRef

ROOT = Path(__file__).resolve().parent.parent
LATENCY_KEYS = ("power_off", "power_on", "apply_profile", "clear_profile", "domain_config",
                "firmware")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """Keep the developer's own config and state out of every test."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_STATE_HOME", ".state"),
                     ("XDG_CACHE_HOME", ".cache")):
        monkeypatch.setenv(var, str(home / sub))
    for var in ("BAYOPS_CONFIG", "BAYOPS_STATE", "NO_COLOR", "TMUX"):
        monkeypatch.delenv(var, raising=False)
    # a site set up on the test machine (/etc/bayops, /run/bayops) is not the tests' site
    monkeypatch.setenv("BAYOPS_SITE_MARKER", str(home / "no-site" / "config.toml"))
    monkeypatch.setenv("BAYOPS_SITE_SOCKET", str(home / "no-site" / "bayops.sock"))
    monkeypatch.setenv("BAYOPS_USER", "tester")


def write_config(path: Path, latency: float | dict[str, float] = 0.0,
                 replace: dict[str, str] | None = None) -> Path:
    """The shipped demo config with simulator latencies set (0 = instant)."""
    text = (ROOT / "config.toml").read_text()
    for key in LATENCY_KEYS:
        value = latency.get(key, 0.0) if isinstance(latency, dict) else latency
        text = re.sub(rf"(?m)^{key} = [0-9.]+$", f"{key} = {value}", text)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Cli:
    """Runs `bayops` as a script or an event handler would: in this process (its ``main``
    with the environment, cwd and standard streams of a fresh process), or with
    ``subprocess=True``, or ``popen``, as a process of its own (exit codes of the real
    entry point, signals, terminals)."""

    def __init__(self, config: Path, state: Path | str):
        self.config, self.state = config, state

    def env(self, user: str = "tester") -> dict[str, str]:
        env = dict(os.environ)
        env.update(BAYOPS_CONFIG=str(self.config), BAYOPS_STATE=str(self.state), BAYOPS_USER=user)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tui.cli", *args]

    def __call__(self, *args: str, user: str = "tester", timeout: float = 60,
                 subprocess: bool = False) -> Result:
        if subprocess:
            proc = run_process(self.argv(*args), env=self.env(user), capture_output=True,
                               text=True, timeout=timeout, stdin=DEVNULL, cwd=ROOT)
            return Result(proc.returncode, proc.stdout, proc.stderr)
        return self._in_process(args, user)

    def _in_process(self, args: tuple[str, ...], user: str) -> Result:
        return run_main(args, self.env(user))

    def popen(self, *args: str, user: str = "tester") -> Popen:
        return Popen(self.argv(*args), env=self.env(user), stdout=PIPE,
                                stderr=PIPE, text=True, stdin=DEVNULL, cwd=ROOT)

    def bay(self, bay_id: str) -> dict:
        enclosure = bay_id.split("/")[0]
        bays = self("bays", "--enclosure", enclosure, "--json").json
        return next(b for b in bays if b["id"] == bay_id)


def run_main(args: tuple[str, ...] | list[str], env: dict[str, str]) -> Result:
    """``main`` as ``python -m tui.cli`` runs it (``env`` its whole environment, cwd and
    standard streams as a new process has them), without the ~0.5 s of a new Python."""
    from tui.cli.main import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    try:
        with (contextlib.redirect_stdout(out), contextlib.redirect_stderr(err),
              _stdin(io.StringIO())):
            try:
                code = main(list(args))
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _stdin(stream):
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The checkout built as a wheel once per run (~4 s of pip): every worker reads the one
    the first built (xdist's workers share the base temp folder's parent)."""
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    folder = shared / "wheel"
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not list(folder.glob("bayops-*.whl")):
            run_process([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                         "-q", "-w", str(folder), str(ROOT)], check=True, capture_output=True)
    return next(folder.glob("bayops-*.whl"))


@pytest.fixture
def fast_config(tmp_path) -> Path:
    return write_config(tmp_path / "config.toml")


# -- the store a test runs on ------------------------------------------------------------
# Test modules marked ``both_stores`` run each test that uses a state (``state``, ``cli``,
# ``core``, ``make_state``) on SQLite and on PostgreSQL; ``sqlite_only`` keeps a test that
# reads the SQLite file itself on SQLite. ``--store`` (or $BAYOPS_TEST_STORE) narrows it.
# The default, ``tiered``, runs both stores only where the store is the subject (the
# modules of STORE_SUBJECTS); the dashboard, CLI and hostile-input modules reach the store
# through the same Core and run on SQLite, and ``--store both`` (CI) runs them on both.
STORES = ("sqlite", "postgresql")
STORE_SUBJECTS = ("test_core.py", "test_feed.py", "test_story.py", "test_lease.py", "test_serve_*.py",
                  "test_ha.py", "test_state_machine.py", "test_store_copy.py",
                  "test_archive.py", "test_postgres.py")
# What a database constraint or trigger raises, on either store.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)
DATABASE_ERRORS = (sqlite3.DatabaseError, psycopg.DatabaseError)


def raw_connection(state: Path | str):
    """An autocommit connection to the store's database itself, past bayops' own checks
    (to show that the database refuses); it takes ``?`` placeholders on both."""
    from tui.core.store.pg import PgConnection

    if isinstance(state, Path):
        return sqlite3.connect(state, isolation_level=None)
    return PgConnection(lambda: psycopg.connect(state, autocommit=True))


def pytest_addoption(parser):
    parser.addoption("--store", choices=(*STORES, "both", "tiered"),
                     default=os.environ.get("BAYOPS_TEST_STORE", "tiered"),
                     help="which store the both_stores tests run on (default: tiered, both "
                          "stores for the store-subject modules only; CI: both)")
    parser.addoption("--sweep", choices=("kinds", "every"), default=None,
                     help="the dashboard key sweep: each key in one context of each kind "
                          "(default), or in every context (the default under --store both, "
                          "as CI runs)")


def sweep_every_context(config) -> bool:
    """Whether the key sweep presses every key in every context, not once per kind."""
    chosen = config.getoption("--sweep")
    return chosen == "every" or (chosen is None and config.getoption("--store") == "both")


# Modules about PostgreSQL itself (HA, the store copy, its own guards): `--store sqlite`
# leaves them uncollected, so the SQLite half runs where no PostgreSQL can start.
POSTGRESQL_ONLY = ("test_postgres.py", "test_ha.py", "test_store_copy.py")


def pytest_ignore_collect(collection_path, config):
    if config.getoption("--store") == "sqlite" and collection_path.name in POSTGRESQL_ONLY:
        return True
    return None


# -- the workers ------------------------------------------------------------------------------
# Most of the suite's time is waiting, not computing (services, PostgreSQL and terminals
# starting and stopping, leases and outages running out): `-n auto` runs three workers a
# core (at most 16 more than cores, each starts a PostgreSQL server), so one worker's waits
# are another's time to compute. On 2 cores, quiet: 4 workers kept the CPU 144 % busy
# (6 min 18 s), 6 workers 158 % (5 min 48 s).
@pytest.hookimpl(optionalhook=True)  # xdist's hook: none without it
def pytest_xdist_auto_num_workers(config):
    cores = len(os.sched_getaffinity(0))
    return cores + min(2 * cores, 16)


# The modules of the longest tests, longest first: each worker starts with its share of
# them, so that none is left running alone at the end while the other workers are done
# (``--dist worksteal``: an idle worker takes over the tail of a busy one's queue).
LONG_FIRST = ("test_state_machine.py", "test_outage.py", "test_terminal_gone.py",
              "test_serve_cli.py", "test_serve_processes.py", "test_key_sweep.py", "test_ha.py",
              "test_site.py", "test_pilot.py", "test_dialogs.py")


@pytest.hookimpl(tryfirst=True)  # before xdist's, which makes "no" its "load"
def pytest_cmdline_main(config):
    if getattr(config.option, "dist", None) == "no":  # xdist's default (none without xdist)
        config.option.dist = "worksteal"


def pytest_collection_modifyitems(config, items):
    rank = {name: n for n, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(Path(item.path).name, len(LONG_FIRST)))
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers > 1 and config.option.dist == "worksteal":
        items[:] = dealt(items, workers, sum(Path(i.path).name in rank for i in items))


def dealt(items: list, workers: int, long: int) -> list:
    """``items`` (the first ``long`` the long ones) in the order worksteal's first
    distribution hands out as one slice a worker (``len(left) // workers_left`` each, the
    rest behind): each slice the long ones dealt round-robin, then its share of the rest.
    Sorted longest first alone, the first worker got every long test and ran them one after
    another while the others stole its short tail (the suite's critical path)."""
    order, rest = [], items[long:]
    for n in range(workers):
        size = (len(items) - len(order)) // (workers - n)
        mine = items[n:long:workers]
        order += mine + rest[:max(0, size - len(mine))]
        rest = rest[max(0, size - len(mine)):]
    return order + rest


def pytest_configure(config):
    config.addinivalue_line("markers", "both_stores: run the module's tests on SQLite and PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: the test reads or damages the SQLite file itself")


def store_kinds(chosen: str, module: Path) -> list[str]:
    """The stores a ``both_stores`` test of ``module`` runs on under ``--store chosen``."""
    if chosen == "tiered":
        chosen = "both" if any(fnmatch.fnmatch(module.name, p) for p in STORE_SUBJECTS) else "sqlite"
    return list(STORES) if chosen == "both" else [chosen]


def pytest_generate_tests(metafunc):
    if "store_kind" not in metafunc.fixturenames:
        return
    kinds = store_kinds(metafunc.config.getoption("--store"), Path(metafunc.definition.path))
    if (metafunc.definition.get_closest_marker("both_stores") is None
            or metafunc.definition.get_closest_marker("sqlite_only") is not None):
        kinds = ["sqlite"]
    metafunc.parametrize("store_kind", kinds)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the whole session; each test gets its own database."""
    from pgserver import PgServer

    server = PgServer().start()
    yield server
    server.destroy()


@pytest.fixture
def make_state(request, store_kind, tmp_path):
    """A factory of fresh, empty states of the test's store: a file path, or a URL."""
    made: list[str] = []

    def make(name: str = "state.db") -> Path | str:
        if store_kind == "sqlite":
            return tmp_path / name
        server = request.getfixturevalue("pg_server")
        made.append(server.create_database())
        return server.url(made[-1])
    yield make
    for database in made:
        request.getfixturevalue("pg_server").drop_database(database)


@pytest.fixture
def state(make_state) -> Path | str:
    return make_state()


@pytest.fixture
def cli(state, fast_config, request) -> Cli:
    copy_built_fleet(request, state, fast_config)
    return Cli(fast_config, state)


@pytest.fixture(scope="session")
def built_fleets(tmp_path_factory) -> dict:
    """Fleets built once per store kind and config (``copy_built_fleet``): building one is
    most of a short test's time (0.2 s on SQLite, 0.4 s and more on PostgreSQL)."""
    return {"root": tmp_path_factory.mktemp("built-fleets")}


def copy_built_fleet(request, state: Path | str, config: Path) -> None:
    """Make the empty ``state`` the fleet ``Core.open`` builds from ``config``, by copying a
    store built once: the SQLite file, or a database made with ``TEMPLATE`` (and the
    simulator's host-local hardware beside it). A relative ``config`` is named so in the
    fleet's first event, as the test's own build would; under ``frozen_time`` its times are
    the frozen clock's."""
    import shutil

    from tui.core.api import Core
    from tui.core.config import load_config

    store_kind, built = request.getfixturevalue("store_kind"), request.getfixturevalue("built_fleets")
    key = (store_kind, config.read_text(), config.is_absolute(), "frozen_time" in request.fixturenames)
    if key not in built:  # the first test of its kind builds it
        root = built["root"] / str(len(built))
        root.mkdir()
        (root / config.name).write_text(key[1])
        if store_kind == "sqlite":
            template: Path | str = root / "state.db"
        else:
            server = request.getfixturevalue("pg_server")
            template = server.url(server.create_database())
        with contextlib.chdir(root):
            named = root / config.name if config.is_absolute() else Path(config.name)
            Core.open(load_config(named), str(template), operator="tester").close()
        if store_kind == "postgresql":  # the database's host-local folder, kept with it
            shutil.copytree(sim_file(template).parent, root / "local")
        built[key] = (template, root)
    template, root = built[key]
    if store_kind == "sqlite":  # closing the last connection folded the WAL into the file
        shutil.copy(template, state)
        return
    server = request.getfixturevalue("pg_server")
    name = urlsplit(str(state)).path.strip("/")
    server.drop_database(name)
    server.create_database(template=urlsplit(str(template)).path.strip("/"), name=name)
    shutil.copytree(root / "local", sim_file(state).parent, dirs_exist_ok=True)


@pytest.fixture
def core(state, fast_config, request):
    from tui.core.api import Core
    from tui.core.config import load_config

    copy_built_fleet(request, state, fast_config)
    c = Core.open(load_config(fast_config), str(state), operator="tester")
    yield c
    c.close()


def dump(state: Path | str, audits: bool = False) -> dict:
    """Every row of every table: tests compare it before and after a refused command.
    Without ``audits``, less what every refusal leaves (``without_audits``)."""
    from tui.core.store import Store

    store = Store(StateRef.parse(state))
    try:
        rows = store.dump()
        return rows if audits else without_audits(rows)
    finally:
        store.close()


def without_audits(rows: dict) -> dict:
    """A store's dump less each refusal's trace: its ``access.refused`` event and that
    event's change-feed row (tests/test_refusal_audit.py checks they are written)."""
    audits = {r[0] for r in rows["events"] if r[4] == "access.refused"}
    return {**rows, "events": [r for r in rows["events"] if r[0] not in audits],
            "changes": [r for r in rows["changes"] if r[1] != "event" or int(r[2]) not in audits]}


def sim_file(state: Path | str) -> Path:
    """The SQLite file the simulator keeps its hardware in: the state file itself, or for
    a PostgreSQL state this host's file for the site."""
    from tui.core.store.backends import backend_for

    return backend_for(StateRef.parse(state)).path


def stored_text(state: Path | str) -> str:
    """Everything the store keeps, as text to look for a secret in: the SQLite file and its
    write-ahead log byte for byte, or every row of every table of the PostgreSQL database."""
    if isinstance(state, Path):
        files = (state, state.with_name(state.name + "-wal"))
        return "".join(f.read_bytes().decode("latin-1") for f in files if f.exists())
    return json.dumps(dump(state), default=str)


def never_opened(state: Path | str) -> bool:
    """No store was made there: no SQLite file, or a database without a table."""
    if isinstance(state, Path):
        return not state.exists()
    with psycopg.connect(state) as conn:
        row = conn.execute("SELECT count(*) FROM information_schema.tables"
                           " WHERE table_schema = 'public'").fetchone()
    return row is not None and row[0] == 0
