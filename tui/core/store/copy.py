"""Moving a site between stores (SQLite file <-> PostgreSQL): every row, the same ids.

The target must be a store with no site in it yet (created by opening it: the schema,
no fleet). Rows go over table by table in one transaction of the target, parents first,
with their ids; the id counters are set past the highest id ever handed out (the source's
counter, not only the highest row left, so an id archived away is never reused). The
change feed is not copied (readers of the target start from its own revisions), and
neither is the source's pruned-feed horizon. After the copy every table is compared row
for row, and the invariants are checked again by asking the target itself.

The simulator's hardware (its ``sim_*`` tables) lives in a SQLite file (the state file,
or this host's file for a PostgreSQL site); it is copied along, file to file.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from tui.core.store import Store
from tui.model.errors import OperationFailed, Refused

# Parents before children (foreign keys); the change feed stays behind.
TABLES = ("meta", "groups", "domains", "enclosures", "bays", "profiles", "connections",
          "excluded_addresses", "maintenance", "jobs", "steps", "locks", "events", "archives",
          "tokens", "domain_firmware", "domain_backups", "domain_ports_down", "looked")
# table -> its id column, whose counter must move past every id the source handed out
COUNTERS = {"jobs": "id", "events": "seq", "archives": "id", "changes": "rev", "tokens": "id",
            "domain_backups": "id"}
SKIPPED_META = ("feed_pruned_through",)


def _columns(store: Store, table: str) -> list[str]:
    cur = store.db.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    cur.fetchall()
    return [d[0] for d in cur.description]


def _rows(store: Store, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    names = ", ".join(f'"{c}"' for c in columns)
    rows = store.db.execute(f"SELECT {names} FROM {table}").fetchall()
    if table == "meta":
        rows = [r for r in rows if r[0] not in SKIPPED_META]
    # Sorted here, not by the database: the two may collate text differently.
    return sorted((tuple(r) for r in rows), key=repr)


def counts(store: Store) -> dict[str, int]:
    return {t: int(store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}


def check_target(source: Store, target: Store) -> dict[str, int]:
    """What would be copied (rows per table); Refused if the target holds a site."""
    if source.where == target.where:
        raise Refused("--from and --to are the same store", code="bad-target")
    if not source.initialised():
        raise Refused(f"{source.where} holds no site to copy", code="empty-source")
    held = {t: n for t, n in counts(target).items() if n}
    if held:
        listed = ", ".join(f"{t} {n}" for t, n in held.items())
        raise Refused(f"{target.where} already holds rows ({listed}); copy only into a new store",
                      code="target-not-empty",
                      hint="create an empty database (or name a new file) and copy again")
    if source.meta("building") and not source.initialised():
        raise Refused(f"{source.where} is still being built", code="busy")
    return {t: n - (1 if t == "meta" and source.meta(SKIPPED_META[0]) else 0)
            for t, n in counts(source).items()}


def copy_site(source: Store, target: Store) -> dict[str, int]:
    """Copy every row from ``source`` into the empty ``target``; rows per table.

    Source reads happen under the source's write lock, so no writer changes it meanwhile.
    """
    expected = check_target(source, target)
    with source.write(), target.write() as db:
        check_target(source, target)  # again, under both locks
        for table in TABLES:
            columns = _columns(source, table)
            rows = _rows(source, table, columns)
            if rows:
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        # The feed triggers fired while copying; the target's readers start from here.
        db.execute("DELETE FROM changes")
        for table, column in COUNTERS.items():
            target.backend.set_counter(db, table, column, source.backend.counter(
                source.db, table, column))
        _verify(source, target, expected)
    copy_sim_hardware(source.path, target.path)
    return expected


def _verify(source: Store, target: Store, expected: dict[str, int]) -> None:
    got = counts(target)
    if got != expected:
        raise OperationFailed(f"the copy holds {got}, the source {expected}; nothing copied")
    for table in TABLES:
        columns = _columns(source, table)
        if _rows(source, table, columns) != _rows(target, table, columns):
            raise OperationFailed(f"table {table} differs after the copy; nothing copied")
    problems = invariant_problems(target)
    if problems:
        raise OperationFailed(f"the copy breaks an invariant ({problems[0]}); nothing copied")


def invariant_problems(store: Store) -> list[str]:
    """What the store holds that the invariants forbid (empty: all hold)."""
    checks = {
        "a bay holds two profiles":
            "SELECT COUNT(*) FROM (SELECT bay FROM profiles WHERE bay IS NOT NULL"
            " GROUP BY bay HAVING COUNT(*) > 1) t",
        "a spare holds a profile":
            "SELECT COUNT(*) FROM bays b JOIN profiles p ON p.bay = b.id WHERE b.spare = 1",
        "an address has two owners":
            "SELECT COUNT(*) FROM (SELECT address FROM connections GROUP BY address"
            " HAVING COUNT(*) > 1) t",
        "a serial has two owners":
            "SELECT COUNT(*) FROM (SELECT serial FROM profiles GROUP BY serial"
            " HAVING COUNT(*) > 1) t",
        "a lock belongs to no running job":
            "SELECT COUNT(*) FROM locks l JOIN jobs j ON j.id = l.job WHERE j.state <> 'running'",
    }
    return [what for what, sql in checks.items() if store.db.execute(sql).fetchone()[0]]


def copy_sim_hardware(source: Path, target: Path) -> int:
    """Copy the simulator's tables from one SQLite file to another; how many tables."""
    if source == target or not source.exists():
        return 0
    with closing(sqlite3.connect(source)) as src:
        tables = src.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                             " AND name LIKE 'sim\\_%' ESCAPE '\\'").fetchall()
        if not tables:
            return 0
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(target, isolation_level=None)) as dst:
            dst.execute("BEGIN IMMEDIATE")
            for name, sql in tables:
                dst.execute(f"DROP TABLE IF EXISTS {name}")
                dst.execute(sql)
                rows = src.execute(f"SELECT * FROM {name}").fetchall()
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    dst.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
            dst.execute("COMMIT")
    return len(tables)
