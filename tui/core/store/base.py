"""The store's connection, transactions, migrations and meta keys."""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui.core.process import process_alive, process_identity
from tui.core.store.schema import MIGRATIONS, SCHEMA_VERSION, statements
from tui.model.errors import BadInput, Refused


class StoreBase:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"state {self.path}: cannot create its folder: "
                           f"{exc.strerror or exc}") from None
        self._migrate()

    # -- connections and transactions ---------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=15, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:
                if "unable to open" in str(exc):
                    raise BadInput(f"state {self.path}: cannot open it ({exc})") from None
                raise BadInput(f"state {self.path}: not a bayops state database ({exc})") from None
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of it lands, or none of it."""
        db = self.db
        if db.in_transaction:  # nested use joins the outer transaction
            yield db
            return
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise Refused(f"state {self.path} is busy ({exc}); try again") from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def _migrate(self) -> None:
        db = self.db
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self.write():  # read the version again under the lock: two may start at once
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise BadInput(f"state {self.path}: schema version {version} is newer than "
                               f"this bayops ({SCHEMA_VERSION}); upgrade bayops")
            while version < SCHEMA_VERSION:
                # executescript would COMMIT our transaction; run statement by statement.
                for statement in statements(MIGRATIONS[version]):
                    db.execute(statement)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")

    # -- meta -----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                       (key, value, value))

    def initialised(self) -> bool:
        return self.meta("created") is not None

    def claim_build(self) -> bool:
        """Become the one process that builds the fleet; False if another is at it."""
        with self.write() as db:
            if self.initialised():
                return False
            row = db.execute("SELECT value FROM meta WHERE key = 'building'").fetchone()
            if row:
                pid, _, identity = row[0].partition(" ")
                if int(pid) != os.getpid() and process_alive(int(pid), identity or None):
                    return False
            me = f"{os.getpid()} {process_identity() or ''}".strip()
            db.execute("INSERT INTO meta VALUES ('building', ?) ON CONFLICT(key) DO UPDATE"
                       " SET value = excluded.value", (me,))
            return True


    def mark_once(self, key: str) -> bool:
        """True for the one caller, across all processes, that marks ``key`` first."""
        with self.write() as db:
            return db.execute("INSERT OR IGNORE INTO meta VALUES (?, '1')", (key,)).rowcount == 1

    # -- whole-store dump (tests compare before/after) -------------------------------------
    def dump(self) -> dict[str, list[tuple]]:
        tables = [r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]
        return {t: self.db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
