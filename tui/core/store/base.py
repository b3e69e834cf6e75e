"""The store's connection, transactions, migrations and meta keys."""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tui.core.process import process_alive, process_identity
from tui.core.store.schema import MIGRATIONS, SCHEMA_VERSION, statements
from tui.core.store.statefile import (
    APPLICATION_ID,
    classify,
    create_private_file,
    environment_error,
    make_private_dirs,
    mode_text,
    mode_warnings,
)
from tui.model.errors import BadInput, Refused


class StoreBase:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        # Warnings about the file for the operator (modes open to others), once per start.
        self.warnings: list[str] = []
        try:
            make_private_dirs(self.path.parent)
        except OSError as exc:
            raise environment_error(exc, self.path) or BadInput(
                f"state {self.path}: cannot create its folder: {exc.strerror or exc}") from None
        # Ours or refused before anything is written: no WAL switch, no table, no fleet.
        if classify(self.path, MIGRATIONS) == "new":
            try:
                create_private_file(self.path)
            except OSError as exc:
                raise environment_error(exc, self.path) or BadInput(
                    f"state {self.path}: cannot create it: {exc.strerror or exc}") from None
        self.warnings = mode_warnings(self.path)
        self._migrate()

    # -- connections and transactions ---------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=15, isolation_level=None,
                                       check_same_thread=False)
            except sqlite3.Error as exc:
                raise environment_error(exc, self.path) or BadInput(
                    f"state {self.path}: cannot open it ({exc})") from None
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                conn.close()
                raise environment_error(exc, self.path) or BadInput(
                    f"state {self.path}: cannot open it ({exc})") from None
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
            mapped = environment_error(exc, self.path)
            if mapped is not None:
                raise mapped from None
            raise Refused(f"state {self.path} is busy ({exc}); try again") from None
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            # SQLite may already have rolled back (a full disk, an I/O error): then there
            # is no transaction left, and ROLLBACK would hide the real error.
            if db.in_transaction:
                # If even that fails the connection has gone bad; the next open undoes it.
                with suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._failure(exc) from None
            raise

    def _failure(self, exc: sqlite3.Error) -> Exception:
        """A plain error for the disk, media, file or descriptors; anything else as is."""
        return environment_error(exc, self.path) or exc

    def _migrate(self) -> None:
        db = self.db
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.Error as exc:
            raise self._failure(exc) from None
        if version == SCHEMA_VERSION and app_id == APPLICATION_ID:
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
            # Marked ours in the transaction that creates (or migrates) the schema.
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def file_modes(self) -> dict[str, str | None]:
        """The permission bits of the state file and its folder, e.g. '0600'."""
        return {"state_mode": mode_text(self.path), "state_dir_mode": mode_text(self.path.parent)}

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
