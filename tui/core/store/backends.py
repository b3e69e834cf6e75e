"""The two databases a store can live in, behind one small interface.

The tables' SQL (fleet.py, jobs.py, ...) is written once, in the subset both databases
speak (``?`` placeholders, ``ON CONFLICT``, ``RETURNING``, no boolean arithmetic, no
parameter whose type only its value would tell, such as ``? IS NULL``). What
differs lives here: connecting, the write lock, the schema version, the migrations and
what a database failure means to the operator.

* **SQLite** (the default, a file): ``BEGIN IMMEDIATE`` is the write lock,
  ``PRAGMA user_version`` the schema version.
* **PostgreSQL** (a ``postgresql://`` state): every write transaction first takes one
  transaction-scoped advisory lock, so writers are serialised exactly as SQLite's are and
  "re-plan under the write lock" means the same on both; readers never wait. It also
  keeps ids and revisions in commit order (the change feed and the event cursor rely on
  it). Its statements are pipelined (pg.py). The schema version is the ``bayops_schema``
  table.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from tui.core.store.failures import state_failure
from tui.core.store.pg import PgConnection, connect_pg, local_folder, pg_failure
from tui.core.store.schema import MIGRATIONS, statements
from tui.core.store.statefile import (
    APPLICATION_ID,
    classify,
    create_private_file,
    make_private_dirs,
    mode_text,
    mode_warnings,
    read_only_uri,
)
from tui.model.errors import BadInput, Refused
from tui.model.stateref import StateRef

# One key for the whole store: the write lock (a transaction-scoped advisory lock).
WRITE_LOCK_KEY = 0x6261796F  # 'bayo', as SQLite's application_id


class Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...
    def executemany(self, sql: str, parameters: Any, /) -> Any: ...
    def close(self) -> None: ...


def _make_folder(path: Path, state: StateRef) -> None:
    try:
        make_private_dirs(path.parent)
    except OSError as exc:
        raise state_failure(exc, state) or BadInput(
            f"state {state}: cannot create its folder: {exc.strerror or exc}") from None


class SqliteBackend:
    name = "sqlite"
    now = "((julianday('now') - 2440587.5) * 86400.0)"  # the database's clock, Unix seconds

    def __init__(self, state: StateRef, read_only: bool = False):
        self.state = state
        self.path = state.path
        self.where = state.shown
        self.read_only = read_only  # `--read-only`: nothing is created or written, not even -shm

    def prepare(self) -> list[str]:
        """Make the folder and the file (ours or refused before anything is written)."""
        if self.read_only:
            if classify(self.path, MIGRATIONS) == "new":
                raise BadInput(f"state {self.path}: no store there to read (--read-only makes "
                               "none)", code="no-state")
            return mode_warnings(self.path)
        _make_folder(self.path, self.state)
        if classify(self.path, MIGRATIONS) == "new":
            try:
                create_private_file(self.path)
            except OSError as exc:
                raise state_failure(exc, self.state) or BadInput(
                    f"state {self.path}: cannot create it: {exc.strerror or exc}") from None
        return mode_warnings(self.path)

    def connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(read_only_uri(self.path) if self.read_only else self.path,
                                   timeout=15, isolation_level=None, check_same_thread=False,
                                   uri=self.read_only)
        except sqlite3.Error as exc:
            raise state_failure(exc, self.state) or BadInput(
                f"state {self.path}: cannot open it ({exc})") from None
        try:
            if self.read_only:
                conn.execute("PRAGMA query_only=ON")
            else:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            conn.close()
            raise state_failure(exc, self.state) or BadInput(
                f"state {self.path}: cannot open it ({exc})") from None
        return conn

    def begin(self, db: Any) -> None:
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            mapped = state_failure(exc, self.state)
            if mapped is not None:
                raise mapped from None
            raise Refused(f"state {self.path} is busy ({exc}); try again") from None

    @staticmethod
    def later(cursor: Any) -> Iterator[Any]:
        """A statement's rows, to read after the transaction (SQLite: read now, as its
        COMMIT needs every statement done)."""
        return iter(cursor.fetchall())

    @staticmethod
    def commit(db: Any) -> None:
        db.execute("COMMIT")

    @staticmethod
    def rollback(db: Any) -> None:
        db.execute("ROLLBACK")

    @staticmethod
    def in_transaction(db: Any) -> bool:
        return bool(db.in_transaction)

    @staticmethod
    def is_db_error(exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error)

    def failure(self, exc: BaseException) -> BaseException:
        """A plain error for the disk, media, file or descriptors; anything else as is."""
        return state_failure(exc, self.state) or exc

    def version(self, db: Any) -> tuple[int, bool]:
        """(schema version, marked as ours)."""
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.Error as exc:
            raise self.failure(exc) from None
        return int(version), app_id == APPLICATION_ID

    def migrate_step(self, db: Any, version: int) -> None:
        """Bring the schema from ``version`` to the next (inside the write lock)."""
        # executescript would COMMIT our transaction; run statement by statement.
        for statement in statements(MIGRATIONS[version]):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version + 1}")

    @staticmethod
    def mark(db: Any) -> None:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    @staticmethod
    def tables(db: Any) -> list[str]:
        return [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]

    def file_modes(self) -> dict[str, str | None]:
        return {"state_mode": mode_text(self.path), "state_dir_mode": mode_text(self.path.parent)}

    @staticmethod
    def counter(db: Any, table: str, column: str) -> int:
        """The highest id ever handed out in ``table`` (AUTOINCREMENT's sqlite_sequence)."""
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        top = db.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}").fetchone()[0]
        return max(int(row[0]) if row else 0, int(top))

    @staticmethod
    def set_counter(db: Any, table: str, column: str, value: int) -> None:
        """The next id handed out in ``table`` is above ``value``."""
        if not db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?",
                          (value, table)).rowcount and value:
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, value))


class PostgresBackend:
    name = "postgresql"
    now = "(extract(epoch from clock_timestamp())::double precision)"

    def __init__(self, state: StateRef, patience: float = 30.0, deadline: float | None = None):
        self.state = state
        self.url = state.location
        self.deadline = deadline  # the most one statement may take (None: no limit)
        self.where = state.shown
        # How long a write waits at its start for a database that went away (a restart, a
        # failover to the replica): nothing of the transaction has happened yet, so waiting
        # and starting again is safe, and a job's next step rides out the outage.
        self.patience = patience
        # Host-local files of this site (archives, the dashboard's layout, the simulator's
        # hardware) live in a folder named for the database; ``path`` is a file in it.
        self.path = local_folder(self.url) / "local.db"

    def prepare(self) -> list[str]:
        _make_folder(self.path, self.state)
        return []

    def connect(self) -> Connection:
        return PgConnection(lambda: connect_pg(self.url, self.where, self.deadline))

    def begin(self, db: Any) -> None:
        deadline = time.monotonic() + self.patience
        while True:
            try:
                db.begin(WRITE_LOCK_KEY)
                return
            except Exception as exc:
                db.rollback_quietly()
                failure = self.failure(exc)
                if getattr(failure, "code", "") != "store-unreachable" \
                        or time.monotonic() > deadline:
                    raise failure from None
            time.sleep(0.25)

    @staticmethod
    def later(cursor: Any) -> Iterator[Any]:
        """A statement's rows, to read after the transaction (they come with the COMMIT)."""
        return iter(cursor)

    @staticmethod
    def commit(db: Any) -> None:
        db.commit()

    @staticmethod
    def rollback(db: Any) -> None:
        db.rollback_quietly()

    @staticmethod
    def in_transaction(db: Any) -> bool:
        return bool(db.in_transaction)

    @staticmethod
    def is_db_error(exc: BaseException) -> bool:
        return pg_failure(exc, "") is not None

    def failure(self, exc: BaseException) -> BaseException:
        return state_failure(exc, self.state) or exc

    def version(self, db: Any) -> tuple[int, bool]:
        try:
            # One statement, one snapshot: another bayops may be creating the schema now.
            marked, others = db.execute(
                "SELECT COUNT(*) FILTER (WHERE tablename = 'bayops_schema'), COUNT(*)"
                " FROM pg_tables WHERE schemaname = current_schema()").fetchone()
            if not marked:
                if others:
                    raise BadInput(f"state {self.where} is not a bayops database ({others} "
                                   "tables of something else); use another --state",
                                   code="not-bayops-state")
                return 0, False
            row = db.execute("SELECT version FROM bayops_schema").fetchone()
        except BadInput:
            raise
        except Exception as exc:
            raise self.failure(exc) from None
        return (int(row[0]), True) if row else (0, True)

    def migrate_step(self, db: Any, version: int) -> None:
        if version == 0:
            db.execute("CREATE TABLE IF NOT EXISTS bayops_schema(version INTEGER NOT NULL)")
            db.execute("DELETE FROM bayops_schema")
            db.execute("INSERT INTO bayops_schema VALUES (0)")
        from tui.core.store.schema_pg import MIGRATIONS_PG  # PostgreSQL's only

        db.execute_script(MIGRATIONS_PG[version])
        db.execute("UPDATE bayops_schema SET version = ?", (version + 1,))

    @staticmethod
    def mark(db: Any) -> None:
        """The bayops_schema table is the mark (made by the first migration)."""

    @staticmethod
    def tables(db: Any) -> list[str]:
        return [r[0] for r in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'bayops_schema' ORDER BY tablename")]

    def file_modes(self) -> dict[str, str | None]:
        return {"state_mode": None, "state_dir_mode": mode_text(self.path.parent)}

    @staticmethod
    def counter(db: Any, table: str, column: str) -> int:
        """The highest id ever handed out in ``table`` (its identity sequence)."""
        sequence = db.execute("SELECT pg_get_serial_sequence(?, ?)", (table, column)).fetchone()[0]
        last, called = db.execute(f"SELECT last_value, is_called FROM {sequence}").fetchone()
        top = db.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}").fetchone()[0]
        return max(int(last) if called else 0, int(top))

    @staticmethod
    def set_counter(db: Any, table: str, column: str, value: int) -> None:
        """The next id handed out in ``table`` is above ``value``."""
        if value:
            db.execute("SELECT setval(pg_get_serial_sequence(?, ?), ?)", (table, column, value))


Backend = SqliteBackend | PostgresBackend


def backend_for(state: StateRef, patience: float = 30.0, deadline: float | None = None,
                read_only: bool = False) -> Backend:
    if state.kind == "postgresql":
        return PostgresBackend(state, patience, deadline)
    return SqliteBackend(state, read_only)
