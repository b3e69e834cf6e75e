"""The state file is ours alone, private, and its environment's failures are plain errors.

Foreign files are refused before anything is written (byte for byte unchanged, no -wal);
an older, unmarked bayops store is migrated and marked; folders are made 0700 and files
0600 whatever the umask; a full disk, read-only media, a damaged file and exhausted file
descriptors give one line and exit 1 or 2, never "internal error" and never a half-written
change (the invariants below hold after every failure).
"""
from __future__ import annotations

import hashlib
import os
import resource
import shutil
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import Cli, Result
from tui.core.store.schema import MIGRATIONS, SCHEMA_VERSION, statements
from tui.core.store.statefile import APPLICATION_ID
from tui.model.stateref import StateRef

NOT_OURS = "is not a bayops state file"


def run(cli: Cli, *args: str, state: Path | None = None,
        preexec: Callable[[], None] | None = None, timeout: float | None = None) -> Result:
    """`bayops` with its own state: its ``main`` in this process, or a process of its own
    where it needs limits or a umask (``preexec``) or a ``timeout`` (it might hang)."""
    if preexec is None and timeout is None:
        return Cli(cli.config, cli.state if state is None else state)(*args)
    env = cli.env()
    if state is not None:
        env["BAYOPS_STATE"] = str(state)
    proc = subprocess.run(cli.argv(*args), env=env, capture_output=True, text=True,
                          timeout=timeout or 60, stdin=subprocess.DEVNULL,
                          cwd=Path(__file__).parent.parent,
                          preexec_fn=preexec)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_plain_line(result: Result) -> str:
    """The error is one line on stderr, and not a bug's."""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    return lines[0]


def app_id(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[68:72], "big")


def invariants_hold(state: Path) -> None:
    """What no failure may break: nothing half-written anywhere."""
    db = sqlite3.connect(state)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        bays = [r[0] for r in db.execute("SELECT bay FROM profiles WHERE bay IS NOT NULL")]
        assert len(bays) == len(set(bays)), "a profile on two bays"
        assert db.execute("SELECT COUNT(*) FROM bays b JOIN profiles p ON p.bay = b.id"
                          " WHERE b.spare = 1").fetchone()[0] == 0
        # every job finished, and its journal says so: no step left running
        assert db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'running'").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM steps WHERE state = 'running'").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
        # the store and the (simulated) hardware agree on every placement
        store = dict(db.execute("SELECT bay, name FROM profiles WHERE bay IS NOT NULL"))
        hardware = dict(db.execute("SELECT bay, profile FROM sim_hw WHERE profile IS NOT NULL"))
        assert store == hardware
    finally:
        db.close()


@pytest.fixture(scope="module")
def built_store(tmp_path_factory) -> Path:
    """A fresh store with its fleet, made once; tests copy it."""
    from tests.conftest import write_config

    folder = tmp_path_factory.mktemp("built")
    cli = Cli(write_config(folder / "config.toml"), folder / "state.db")
    result = cli("bays", "--json")
    assert result.code == 0, result.err
    return cli.state


def copy_store(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    os.chmod(target, 0o600)
    return target


# -- 1. only our files ------------------------------------------------------------------
def _other_apps_tables(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO users(name) VALUES ('ada')")
    db.commit()
    db.close()


def _own_meta_table(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema', '7'), ('owner', 'someone else')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"# my notes\n" * 50)


def _other_application_id(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id = 0x12345678")
    db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('created', '1')")
    db.commit()
    db.close()


def _other_apps_wal_database(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE notes(body TEXT)")
    db.commit()
    db.close()


def _our_tables_and_theirs(path: Path) -> None:
    db = sqlite3.connect(path)
    for script in MIGRATIONS:
        for statement in statements(script):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute("INSERT INTO meta VALUES ('created', '1')")
    db.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()


FOREIGN = {
    "other-apps-tables": (_other_apps_tables, "tables of another program"),
    "own-meta-table": (_own_meta_table, "tables of another program"),
    "not-a-database": (_not_a_database, "not an SQLite database"),
    "other-application-id": (_other_application_id, "application_id 0x12345678"),
    "other-apps-wal-database": (_other_apps_wal_database, "tables of another program"),
    "our-tables-and-theirs": (_our_tables_and_theirs, "tables of another program"),
}


@pytest.mark.parametrize("make", FOREIGN, ids=list(FOREIGN))
@pytest.mark.parametrize("command", [("bays",), ("info", "--json")])
def test_a_foreign_file_is_refused_untouched(cli, tmp_path, make, command):
    state = tmp_path / "theirs.db"
    build, reason = FOREIGN[make]
    build(state)
    before, files_before = sha256(state), sorted(os.listdir(tmp_path))
    result = run(cli, *command, state=state)
    assert result.code == 2
    line = one_plain_line(result)
    assert f"state {state} {NOT_OURS}" in line and reason in line
    assert line.endswith("use another --state")
    assert sha256(state) == before
    assert sorted(os.listdir(tmp_path)) == files_before  # no -wal, no -shm, nothing else
    if "--json" in command:
        assert result.json["code"] == "not-bayops-state" and result.json["exit"] == 2


def test_a_folder_or_a_fifo_is_refused(cli, tmp_path):
    (tmp_path / "folder.db").mkdir()
    os.mkfifo(tmp_path / "fifo.db")
    for name in ("folder.db", "fifo.db"):
        result = run(cli, "bays", state=tmp_path / name, timeout=20)
        assert result.code == 2 and NOT_OURS in one_plain_line(result)


def test_the_store_refuses_a_foreign_file_before_writing(tmp_path):
    from tui.core.store import Store
    from tui.model.errors import BadInput

    state = tmp_path / "theirs.db"
    _other_apps_tables(state)
    before = sha256(state)
    with pytest.raises(BadInput) as caught:
        Store(StateRef.parse(state))
    assert caught.value.code == "not-bayops-state" and caught.value.exit_code == 2
    assert sha256(state) == before and not Path(f"{state}-wal").exists()


def test_an_empty_file_becomes_a_new_store(cli, tmp_path):
    state = tmp_path / "empty.db"
    state.touch(mode=0o600)
    result = run(cli, "info", "--json", state=state)
    assert result.code == 0, result.err
    assert app_id(state) == APPLICATION_ID


def test_a_state_is_a_file_or_a_database_and_a_password_is_never_shown(tmp_path):
    db = StateRef.parse("postgresql://ops:hunter2@db.example/bayops?sslmode=require")
    assert db.kind == "postgresql" and "hunter2" in db.location  # psycopg needs it
    for shown in (str(db), repr(db), f"state {db}", db.shown):
        assert "hunter2" not in shown and "ops:***@db.example" in shown, shown
    with pytest.raises(ValueError):
        db.path  # noqa: B018 - a database is no file
    file = StateRef.parse("site/state.db", relative_to=tmp_path)  # as a config names it
    assert file.kind == "sqlite" and file.path == tmp_path / "site" / "state.db"
    assert str(file) == str(tmp_path / "site" / "state.db")


def test_a_new_store_is_marked_ours(fast_config, tmp_path):
    cli = Cli(fast_config, tmp_path / "new.db")
    assert cli("info").code == 0
    assert app_id(cli.state) == APPLICATION_ID
    db = sqlite3.connect(cli.state)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def _unmark(state: Path, version: int = SCHEMA_VERSION) -> None:
    """Make a store look like one an older bayops wrote: no application_id, and the
    schema of ``version`` (15's feed triggers of domain locks; 14 made the invariant
    triggers anew: nothing to take back; schema 13's notes and last looks, 12's step keys and stops, 11's
    domain firmware and backups, 10's runners and event links, 9's token failures, 8's
    lease, 7's tokens, 6's drain, flag and home, 5's acknowledgement, 4's archive register
    and 3's change feed taken back)."""
    db = sqlite3.connect(state, isolation_level=None)
    db.execute("BEGIN")
    if version < 15:
        for name in ("feed_domain_lock_insert", "feed_domain_lock_delete"):
            db.execute(f"DROP TRIGGER {name}")
    if version < 13:
        db.execute("DROP TABLE looked")
        for column in ("note_at", "note_by", "note"):
            db.execute(f"ALTER TABLE bays DROP COLUMN {column}")
    if version < 12:
        for column in ("stopped", "key"):
            db.execute(f"ALTER TABLE steps DROP COLUMN {column}")
    if version < 11:
        db.execute("DROP TABLE domain_ports_down")
        db.execute("DROP TABLE domain_backups")
        db.execute("DROP TABLE domain_firmware")
    if version < 10:
        for name in ("steps_claimed_insert", "steps_claimed_update"):
            db.execute(f"DROP TRIGGER {name}")
        for table, column in (("jobs", "runner"), ("steps", "runner"), ("events", "prev")):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    if version < 9:
        db.execute("DROP TABLE token_failures")
    if version < 8:
        for name in ("leader_epoch_grows", "leader_kept", "jobs_fenced_insert", "jobs_fenced_update",
                     "steps_fenced_insert", "steps_fenced_update"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE leader")
        db.execute("ALTER TABLE steps DROP COLUMN epoch")
        db.execute("ALTER TABLE jobs DROP COLUMN epoch")
    if version < 7:
        for name in ("tokens_fixed", "tokens_revoked_once", "tokens_kept"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE tokens")
    if version < 6:
        for name in ("feed_enclosure_drain", "drained_gives_no_spare", "flagged_gives_no_spare",
                     "drained_takes_no_profile", "flagged_takes_no_profile"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP INDEX profiles_home")
        db.execute("ALTER TABLE profiles DROP COLUMN borrowed")
        db.execute("ALTER TABLE profiles DROP COLUMN home")
        db.execute("ALTER TABLE bays DROP COLUMN flag")
        db.execute("ALTER TABLE enclosures DROP COLUMN drained_job")
    if version < 5:
        db.execute("DROP TRIGGER bays_ack_clears_when_ok")
        db.execute("ALTER TABLE bays DROP COLUMN acked_at")
        db.execute("ALTER TABLE bays DROP COLUMN acked_by")
    if version < 4:
        for name in ("archives_append_only_update", "archives_append_only_delete",
                     "events_delete_only_archived", "jobs_delete_only_archived",
                     "steps_delete_only_archived"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE archives")
        db.execute("CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events"
                   " BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END")
    if version < 3:
        triggers = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'feed_%'")]
        for name in triggers:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE changes")
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("PRAGMA application_id = 0")
    db.execute("COMMIT")
    db.close()


@pytest.mark.parametrize("version", [SCHEMA_VERSION, 11, 9, 8, 7, 6, 5, 4, 3, 2])
def test_an_older_unmarked_store_is_migrated_and_marked(cli, tmp_path, built_store, version):
    state = copy_store(built_store, tmp_path / "old.db")
    _unmark(state, version)
    assert app_id(state) == 0
    before = run(cli, "bays", "--json", state=state)  # the fleet, as it was
    assert before.code == 0, before.err
    assert app_id(state) == APPLICATION_ID
    db = sqlite3.connect(state)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'changes'").fetchone()[0] == 1
    db.close()
    assert len(before.json) == len(run(cli, "bays", "--json", state=built_store).json)


def test_an_older_store_with_foreign_tables_is_refused(cli, tmp_path, built_store):
    state = copy_store(built_store, tmp_path / "old.db")
    _unmark(state)
    db = sqlite3.connect(state)
    db.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    before = sha256(state)
    result = run(cli, "bays", state=state)
    assert result.code == 2 and "tables of another program" in one_plain_line(result)
    assert sha256(state) == before and not Path(f"{state}-wal").exists()


def test_a_newer_schema_is_refused(cli, tmp_path, built_store):
    state = copy_store(built_store, tmp_path / "newer.db")
    db = sqlite3.connect(state)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    result = run(cli, "bays", state=state)
    assert result.code == 2 and "upgrade bayops" in one_plain_line(result)


# -- 2. private by default ----------------------------------------------------------------
def _umask_0() -> None:
    os.umask(0)


def test_new_state_is_private_whatever_the_umask(cli, tmp_path):
    state = tmp_path / "deep" / "er" / "state.db"
    result = run(cli, "info", "--json", state=state, preexec=_umask_0)
    assert result.code == 0, result.err
    assert result.err == ""  # nothing to warn about
    assert mode(state) == 0o600
    assert mode(state.parent) == 0o700 and mode(state.parent.parent) == 0o700
    assert result.json["state_mode"] == "0600" and result.json["state_dir_mode"] == "0700"
    # the -wal and -shm exist while a bayops has the file open: watch one that follows
    env = cli.env()
    env["BAYOPS_STATE"] = str(state)
    follower = subprocess.Popen(cli.argv("events", "--follow", "--json"), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, preexec_fn=_umask_0)
    try:
        wal, shm = Path(f"{state}-wal"), Path(f"{state}-shm")
        deadline = time.monotonic() + 30
        while not (wal.exists() and shm.exists()) and time.monotonic() < deadline:
            assert follower.poll() is None, follower.communicate()
            time.sleep(0.05)
        assert wal.exists() and shm.exists()
        assert mode(wal) == 0o600 and mode(shm) == 0o600
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_info_shows_the_modes_in_text(cli):
    result = cli("info")
    assert result.code == 0, result.err
    lines = dict(line.split(None, 1) for line in result.out.splitlines())
    assert lines["state_mode"] == "0600" and lines["state_dir_mode"] == "0700"


def test_wider_modes_are_warned_about_not_changed(cli, tmp_path):
    assert cli("info").code == 0
    os.chmod(cli.state, 0o644)
    os.chmod(cli.state.parent, 0o777)
    try:
        result = cli("info", "--json")
        assert result.code == 0, result.err
        warnings = result.err.splitlines()
        assert warnings.count(f"bayops: warning: state {cli.state} is readable by others "
                              "(mode 0644); chmod 600 it") == 1
        assert warnings.count(f"bayops: warning: state folder {cli.state.parent} is writable "
                              "by others (mode 0777); chmod 700 it") == 1
        assert len(warnings) == 2, result.err
        assert mode(cli.state) == 0o644 and mode(cli.state.parent) == 0o777  # left alone
        assert result.json["state_mode"] == "0644" and result.json["state_dir_mode"] == "0777"
    finally:
        os.chmod(cli.state.parent, 0o700)


# -- 3. environment failures are plain errors ---------------------------------------------
def _file_size_limit(limit: int) -> Callable[[], None]:
    # No SIG_IGN for SIGXFSZ here: bayops must survive the signal by itself.
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


@pytest.mark.parametrize("limit_kib", [36, 48, 80, 160])
def test_disk_full_mid_job_is_one_line_and_nothing_half_written(cli, tmp_path, built_store,
                                                                limit_kib):
    state = copy_store(built_store, tmp_path / "state.db")
    bay = next(b for b in run(cli, "bays", "--json", state=state).json
               if b.get("profile") and b["group"] == "prod-db")
    result = run(cli, "failover", bay["id"], "--force", "--yes", state=state,
                 preexec=_file_size_limit(limit_kib * 1024))
    assert result.code == 1, (result.code, result.err)
    line = one_plain_line(result)
    assert f"cannot write state {state}: no space left" in line
    assert "free space" in line
    # with space again, the next bayops finishes (or rolls back) what was interrupted
    after = run(cli, "jobs", "--json", state=state)
    assert after.code == 0, after.err
    assert [j["state"] for j in after.json] in ([], ["done"], ["failed"])
    invariants_hold(state)


def test_disk_full_json_error_has_the_code(cli, tmp_path, built_store):
    state = copy_store(built_store, tmp_path / "state.db")
    result = run(cli, "spares", "prod-db", "--remove", a_spare(cli, state), "--yes", "--json",
                 state=state, preexec=_file_size_limit(36 * 1024))
    assert result.code == 1, result.err
    one_plain_line(result)
    assert result.json["code"] == "disk-full" and result.json["hint"]
    invariants_hold(state)


def a_spare(cli: Cli, state: Path) -> str:
    return next(b["id"] for b in run(cli, "bays", "--json", state=state).json
                if b["spare"] and b["group"] == "prod-db")


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextmanager
def tmpfs(where: Path, size: str):
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.skipif(not _can_mount(), reason="a real full disk needs root to mount a small "
                    "tmpfs; the RLIMIT_FSIZE tests cover the path without it")
def test_a_really_full_disk(cli, tmp_path, built_store):
    size = built_store.stat().st_size + 40 * 1024
    with tmpfs(tmp_path / "small", str(size)) as disk:
        state = copy_store(built_store, disk / "state.db")
        bay = next(b for b in run(cli, "bays", "--json", state=state).json
                   if b.get("profile") and b["group"] == "prod-db")
        result = run(cli, "failover", bay["id"], "--force", "--yes", state=state)
        assert result.code == 1, result.err
        assert "no space left" in one_plain_line(result)
        # the disk grows (as an operator would free space), and the next bayops recovers
        subprocess.run(["mount", "-o", f"remount,size={size * 4}", str(disk)], check=True)
        after = run(cli, "jobs", "--json", state=state)
        assert after.code == 0, after.err
        invariants_hold(state)


def test_read_only_state(cli, tmp_path, built_store):
    if os.geteuid() != 0:
        state = copy_store(built_store, tmp_path / "ro" / "state.db")
        os.chmod(state, 0o400)
        os.chmod(state.parent, 0o500)
        try:
            _read_only_checks(cli, state, built_store)
        finally:
            os.chmod(state.parent, 0o700)
        return
    if not _can_mount():
        pytest.skip("as root, modes do not stop writes and no read-only mount is possible")
    with tmpfs(tmp_path / "media", "4m") as media:
        state = copy_store(built_store, media / "state.db")
        done = subprocess.run(["mount", "-o", "remount,ro", str(media)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only ({done.stderr.strip()})")
        _read_only_checks(cli, state, built_store)


@pytest.mark.skipif(not _can_mount(), reason="needs root to mount read-only media")
def test_read_only_media_with_changes_still_in_the_wal_are_refused_plainly(cli, tmp_path,
                                                                           built_store):
    """Read as immutable, the file alone would show the store as it was before its -wal:
    a copy taken while a bayops was writing is refused, not shown stale."""
    source = copy_store(built_store, tmp_path / "source" / "state.db")
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO meta VALUES ('note', 'only in the wal')")
    with tmpfs(tmp_path / "media", "8m") as media:
        state = copy_store(source, media / "state.db")  # copied mid-write: file and -wal
        shutil.copy(f"{source}-wal", f"{state}-wal")
        writer.close()
        assert Path(f"{state}-wal").stat().st_size > 0
        done = subprocess.run(["mount", "-o", "remount,ro", str(media)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only ({done.stderr.strip()})")
        result = run(cli, "--read-only", "bays", state=state)
        assert result.code == 1, result.err
        assert "not yet in the file" in one_plain_line(result)
        assert run(cli, "--read-only", "bays", "--json", state=state).json["code"] == \
            "read-only-state"


def _read_only_checks(cli: Cli, state: Path, built_store: Path) -> None:
    before = sha256(state)
    for command in (("bays",), ("spares", "prod-db", "--remove", "enc-d3/3", "--yes"),
                    ("info", "--json")):
        result = run(cli, *command, state=state)
        assert result.code == 1, result.err
        line = one_plain_line(result)
        assert f"cannot write state {state}: it is read-only" in line, line
    assert run(cli, "info", "--json", state=state).json["code"] == "read-only-state"
    # --read-only reads it there, simulated hardware included, and writes nothing
    status = run(cli, "--read-only", "status", state=state)
    assert status.code == 0, status.err
    bays = run(cli, "--read-only", "bays", "--json", state=state)
    assert bays.code == 0, bays.err
    assert bays.json == run(cli, "bays", "--json", state=built_store).json
    refused = run(cli, "--read-only", "spares", "prod-db", "--remove", "enc-d3/3", "--yes",
                  state=state)
    assert refused.code == 3, refused.err
    assert sha256(state) == before
    assert sorted(p.name for p in state.parent.iterdir()) == [state.name]  # no -wal, no -shm


@pytest.mark.parametrize("where", ["schema", "middle"])
def test_a_damaged_store_is_one_line(cli, tmp_path, built_store, where):
    state = copy_store(built_store, tmp_path / "state.db")
    size = state.stat().st_size
    start = 4096 if where == "schema" else (size // 2) & ~4095
    with open(state, "r+b") as f:  # garbage over some pages, the header intact
        f.seek(start)
        f.write(bytes(range(256)) * (8 * 4096 // 256))
    damaged = 0
    for command in (("bays",), ("jobs",), ("failover", "enc-d1/2", "--force", "--yes"),
                    ("info", "--json")):
        result = run(cli, *command, state=state)
        assert result.code in (0, 1, 2), result.err
        if result.code:
            line = one_plain_line(result)
            if "damaged" in line:
                damaged += 1
                assert result.code == 2 and "restore it from a backup" in line
    assert damaged, "garbage over pages of the store went unnoticed"
    result = run(cli, "info", "--json", state=state)
    if result.code == 2:
        assert result.json["code"] == "corrupt-state"


def test_exhausted_file_descriptors_are_one_line(cli, built_store, tmp_path):
    state = copy_store(built_store, tmp_path / "state.db")
    hit = []
    for limit in range(5, 12):  # too few to start Python at all is not bayops' to report
        def preexec(n: int = limit) -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        result = run(cli, "jobs", state=state, preexec=preexec)
        if result.code == 0:
            continue
        assert result.code == 1, result.err
        line = one_plain_line(result)
        assert "too many open files" in line and "ulimit -n" in line, line
        hit.append(limit)
    assert hit, "no limit made bayops run out of file descriptors"
    assert run(cli, "jobs", state=state).code == 0
    invariants_hold(state)


def test_our_tables_with_no_schema_version_are_refused_with_a_code(cli, tmp_path):
    """A bayops store whose header lost its schema version (user_version 0): migrating it
    would trip on its own tables; it is refused, untouched, with a code."""
    state = tmp_path / "state.db"
    assert run(cli, "bays", state=state).code == 0
    db = sqlite3.connect(state)
    db.execute("PRAGMA user_version = 0")
    db.close()
    before = sha256(state)
    result = run(cli, "status", "--json", state=state)
    assert result.code == 2 and result.json["code"] == "unknown-schema", result
    assert "internal error" not in result.err and "already exists" not in result.err
    read = run(cli, "--read-only", "status", "--json", state=state)
    assert read.code == 2 and read.json["code"] == "unknown-schema", read
    assert sha256(state) == before
