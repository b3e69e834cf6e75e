"""What only a PostgreSQL store shows: the database refuses what the invariants forbid
even to a client past bayops, a restarted database server is ridden out, a database that
is not bayops' is left alone, and its failures are plain errors with codes."""
from __future__ import annotations

import json
import re
import sqlite3
import threading

import psycopg
import pytest
from conftest import Cli, raw_connection, write_config
from pgserver import PgServer, wait_for

from tui.core.store import Store
from tui.core.store.invariants import INVARIANTS, rerender
from tui.core.store.schema import MIGRATIONS
from tui.core.store.schema_pg import MIGRATIONS_PG
from tui.core.store.statefile import APPLICATION_ID
from tui.model.errors import BadInput, OperationFailed
from tui.model.stateref import StateRef


@pytest.fixture
def own_server():
    """A server of the test's own (it is stopped and restarted)."""
    server = PgServer().start()
    yield server
    server.destroy()


def test_invariants_are_the_databases_own(tmp_path, pg_server):
    cli = Cli(write_config(tmp_path / "c.toml"), pg_server.url(pg_server.create_database()))
    assert cli("policy", "lab", "--window", "sat", "--yes").code == 0  # a job, not archived
    db = raw_connection(cli.state)
    two = db.execute("SELECT name, bay FROM profiles WHERE bay IS NOT NULL ORDER BY name"
                     " LIMIT 2").fetchall()
    spare = db.execute("SELECT id FROM bays WHERE spare = 1 LIMIT 1").fetchone()[0]
    refusals = {
        "UPDATE profiles SET bay = ? WHERE name = ?": (two[1][1], two[0][0]),  # one bay, two
        "UPDATE connections SET address = (SELECT MIN(address) FROM connections)"
        " WHERE address = (SELECT MAX(address) FROM connections)": (),
        "UPDATE profiles SET serial = (SELECT MIN(serial) FROM profiles)"
        " WHERE serial = (SELECT MAX(serial) FROM profiles)": (),
        "UPDATE profiles SET bay = ? WHERE name = ? AND 1 = 1": (spare, two[0][0]),
        "UPDATE bays SET spare = 1 WHERE id = ?": (two[0][1],),
        "UPDATE events SET message = 'rewritten'": (),
        "DELETE FROM events": (),
        "DELETE FROM jobs": (),
    }
    for sql, args in refusals.items():
        with pytest.raises(psycopg.IntegrityError):
            db.execute(sql, args)
            pytest.fail(f"not refused: {sql}")
    db.close()


def _sqlite_refusals(path) -> set[tuple[str, str, str, str]]:
    """(trigger, table, event, message) of every trigger that refuses a row, read back."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
    found = set()
    for name, table, sql in rows:
        refusal = re.search(r"RAISE\(ABORT, '([^']*)'\)", sql)
        if refusal:
            event = re.search(r"\bBEFORE (INSERT|UPDATE|DELETE)\b", sql)
            found.add((name, table, event.group(1) if event else sql, refusal.group(1)))
    db.close()
    return found


def _pg_refusals(url) -> tuple[set[tuple[str, str, str, str]], set[str]]:
    """The same, read from pg_trigger (an INSERT OR UPDATE trigger counts twice), and
    every function of bayops' that raises, used by a trigger or not."""
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT t.tgname, c.relname, t.tgtype, p.prosrc FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE NOT t.tgisinternal").fetchall()
        functions = {r[0] for r in db.execute(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'bayops%'"
            " AND prosrc LIKE '%RAISE EXCEPTION%'")}
    found = set()
    for name, table, kind, source in rows:
        refusal = re.search(r"RAISE EXCEPTION '([^']*)'", source)
        for bit, event in ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE")):
            if refusal and kind & bit:
                found.add((name, table, event, refusal.group(1)))
    return found, functions


DESCRIBED = {(i.name, i.table, i.event, i.message) for i in INVARIANTS}


def test_both_stores_carry_the_same_invariant_triggers(tmp_path, pg_server):
    Store(StateRef.parse(tmp_path / "s.db")).close()
    url = pg_server.url(pg_server.create_database())
    Store(StateRef.parse(url)).close()
    on_pg, functions = _pg_refusals(url)
    assert _sqlite_refusals(tmp_path / "s.db") == on_pg == DESCRIBED
    assert functions == {f"bayops_{i.name}" for i in INVARIANTS}  # none left unused


def test_a_store_made_before_the_invariants_were_described_once_ends_the_same(tmp_path, pg_server):
    """Both stores as the release before left them (each invariant written twice, on
    PostgreSQL one trigger for INSERT OR UPDATE) migrate to the described triggers."""
    before = MIGRATIONS.index(rerender("sqlite"))
    url = pg_server.url(pg_server.create_database())
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE bayops_schema(version INTEGER NOT NULL)")
        db.execute("INSERT INTO bayops_schema VALUES (%s)", (before,))
        for migration in MIGRATIONS_PG[:before]:
            db.execute(migration)
    assert ("jobs_fenced", "jobs", "INSERT", "fenced: a job write without the epoch of the "
            "leading service") in _pg_refusals(url)[0]
    Store(StateRef.parse(url)).close()
    assert _pg_refusals(url) == (DESCRIBED, {f"bayops_{i.name}" for i in INVARIANTS})
    old = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    for migration in MIGRATIONS[:before]:
        old.executescript(migration)
    old.execute(f"PRAGMA user_version = {before}")
    old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    old.close()
    Store(StateRef.parse(tmp_path / "old.db")).close()
    assert _sqlite_refusals(tmp_path / "old.db") == DESCRIBED


def test_a_restarted_database_is_ridden_out_by_a_running_watch(tmp_path, own_server):
    cli = Cli(write_config(tmp_path / "c.toml"), own_server.url(own_server.create_database()))
    assert cli("status").code == 0
    watch = cli.popen("watch", "--json", "--interval", "0.2", "--no-policy")
    lines: list[dict] = []
    reader = threading.Thread(target=lambda: lines.extend(json.loads(x) for x in watch.stdout),
                              daemon=True)
    reader.start()
    try:
        assert cli("sim", "fail", "enc-w1/3").code == 0
        own_server.restart()
        assert cli("sim", "fail", "enc-w1/4").code == 0
        # The watch saw the fault written after the restart: it reconnected by itself.
        assert wait_for(lambda: any("enc-w1/4" in e.get("source", "") for e in lines), 30), lines
        assert watch.poll() is None, watch.stderr.read()
    finally:
        watch.terminate()
        watch.wait(timeout=30)


def test_a_stopped_database_is_a_plain_error_and_nothing_else(tmp_path, own_server):
    url = own_server.url(own_server.create_database())
    cli = Cli(write_config(tmp_path / "c.toml"), url)
    assert cli("status").code == 0
    own_server.stop()
    r = cli("status", "--json")
    assert r.code == 1 and r.json["code"] == "store-unreachable", r.out + r.err
    assert len(r.err.strip().splitlines()) == 1
    with pytest.raises(OperationFailed, match="cannot be reached"):
        Store(StateRef.parse(url))


def test_a_database_of_something_else_is_left_alone(pg_server):
    url = pg_server.url(pg_server.create_database())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(BadInput, match="not a bayops database") as refused:
        Store(StateRef.parse(url))
    assert refused.value.code == "not-bayops-state"
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert [r[0] for r in tables] == ["invoices"]


def test_the_url_password_never_reaches_the_operator(tmp_path, pg_server):
    url = pg_server.url(pg_server.create_database()) + "&password=hunter2"
    cli = Cli(write_config(tmp_path / "c.toml"), url)
    info = cli("info", "--json")
    assert info.code == 0, info.err
    assert "hunter2" not in info.out and "password=***" in info.json["state"]
