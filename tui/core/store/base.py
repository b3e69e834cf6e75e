"""The store's connection, transactions, migrations and meta keys (on either backend)."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from tui.core.process import process_alive, process_identity
from tui.core.store.backends import Connection, backend_for
from tui.core.store.schema import SCHEMA_VERSION
from tui.model.errors import BadInput, Fenced
from tui.model.stateref import StateRef


class StoreBase:
    def __init__(self, state: StateRef, patience: float = 30.0, deadline: float | None = None,
                 read_only: bool = False):
        """``state``: a SQLite file or a PostgreSQL database. ``patience``: how
        long a write waits for a PostgreSQL server that went away (SQLite: its busy wait).
        ``deadline``: the most one PostgreSQL statement may take (the lease's).
        ``read_only``: SQLite is opened read-only (read-only media), nothing migrated."""
        self.state = state
        self.backend = backend_for(state, patience, deadline, read_only)
        self.read_only = read_only and self.backend.name == "sqlite"
        # SQLite: the state file. PostgreSQL: a file in this host's folder for the site
        # (archives and the dashboard's layout go next to it; the simulator keeps its
        # hardware in it).
        self.path = self.backend.path
        self.where = self.backend.where  # what to show: the path, or the URL sans password
        self._local = threading.local()
        # Every connection opened, by the thread it serves (close() closes them all); a
        # generation that close() bumps, so a thread then opens a new one.
        self._connections: dict[threading.Thread, Connection] = {}
        self._connections_lock = threading.Lock()
        self._generation = 0
        # The lease taken through this store (lease.py: take, renew, release). Job writes
        # never read it: each runner's claim carries the epoch it was started under.
        self.epoch: int | None = None
        # The runners of this process, by job (jobs.py: one runner per job).
        self._runners: dict[int, Any] = {}
        self._runners_changed = threading.Condition()
        # Warnings about the file for the operator (modes open to others), once per start.
        self.warnings: list[str] = self.backend.prepare()
        self._migrate()

    # -- connections and transactions ---------------------------------------------------
    @property
    def db(self) -> Any:
        """This thread's connection (each thread has its own)."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.generation != self._generation:
            conn = self.backend.connect()
            with self._connections_lock:
                # A thread that ended left its connection behind: closed now.
                for thread in [t for t in self._connections if not t.is_alive()]:
                    with suppress(Exception):
                        self._connections.pop(thread).close()
                self._connections[threading.current_thread()] = conn
                self._local.conn, self._local.generation = conn, self._generation
        return conn

    def close(self) -> None:
        """Close every connection this store opened, whichever thread it served; a thread
        that uses the store afterwards opens a new one."""
        with self._connections_lock:
            connections = list(self._connections.values())
            self._connections.clear()
            self._generation += 1
        for conn in connections:
            with suppress(Exception):  # one that broke is closed all the same
                conn.close()

    @contextmanager
    def write(self) -> Iterator[Any]:
        """One transaction holding the store's write lock: all of it lands, or none of it."""
        db, backend = self.db, self.backend
        if backend.in_transaction(db):  # nested use joins the outer transaction
            yield db
            return
        backend.begin(db)
        try:
            yield db
            backend.commit(db)
        except BaseException as exc:
            # SQLite may already have rolled back (a full disk, an I/O error): then there
            # is no transaction left, and ROLLBACK would hide the real error.
            if backend.in_transaction(db):
                # If even that fails the connection has gone bad; the next open undoes it.
                with suppress(Exception):
                    backend.rollback(db)
            fenced = fencing(exc)
            if fenced is not None:
                raise fenced from None
            if backend.is_db_error(exc):
                raise self._failure(exc) from None
            raise

    def _failure(self, exc: BaseException) -> BaseException:
        """A plain error for the disk, the media, the file, the database server; else as is."""
        return self.backend.failure(exc)

    def _migrate(self) -> None:
        db = self.db
        version, ours = self.backend.version(db)
        if version == SCHEMA_VERSION and ours:
            return
        if self.read_only:
            self._refuse_unknown(db, version)
            raise BadInput(f"state {self.where}: schema version {version}, this bayops reads "
                           f"{SCHEMA_VERSION}; a --read-only open does not migrate it",
                           code="schema-mismatch", hint="open it once without --read-only")
        with self.write():  # read the version again under the lock: two may start at once
            version, ours = self.backend.version(db)
            if version > SCHEMA_VERSION:
                raise BadInput(f"state {self.where}: schema version {version} is newer than "
                               f"this bayops ({SCHEMA_VERSION}); upgrade bayops")
            self._refuse_unknown(db, version)
            while version < SCHEMA_VERSION:
                self.backend.migrate_step(db, version)
                version += 1
            # Marked ours in the transaction that creates (or migrates) the schema.
            self.backend.mark(db)

    def _refuse_unknown(self, db: Any, version: int) -> None:
        if version == 0 and self.backend.tables(db):  # migrating would trip on them
            raise BadInput(f"state {self.where} holds tables but no schema version; bayops "
                           "cannot tell what it is and leaves it untouched",
                           code="unknown-schema", hint="use another --state, or restore "
                           "the store from a copy")

    def file_modes(self) -> dict[str, str | None]:
        """The permission bits of the state file and its folder, e.g. '0600'."""
        return self.backend.file_modes()

    # -- meta -----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                       (key, value, value))

    def stamp(self, key: str) -> None:
        """``key`` holds the database's clock now (Unix seconds): on PostgreSQL one clock
        for every host, so no host's skew moves what is scheduled from it (``age``)."""
        with self.write() as db:
            db.execute(f"INSERT INTO meta VALUES (?, CAST({self.backend.now} AS TEXT))"
                       " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key,))

    def age(self, key: str) -> float | None:
        """Seconds since ``stamp(key)`` by the database's clock; None if never stamped."""
        row = self.db.execute(f"SELECT {self.backend.now} - CAST(value AS DOUBLE PRECISION)"
                              " FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else float(row[0])

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
            return db.execute("INSERT INTO meta VALUES (?, '1') ON CONFLICT DO NOTHING", (key,)).rowcount == 1

    # -- whole-store dump (tests compare before/after) -------------------------------------
    def dump(self) -> dict[str, list[tuple]]:
        tables = self.backend.tables(self.db)
        return {t: self.db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def fencing(exc: BaseException) -> Fenced | None:
    """The plain error for a write a fencing trigger refused (schema 8 and 10), else None."""
    text = str(exc)
    if not type(exc).__module__.startswith(("sqlite3", "psycopg")) or "fenced:" not in text:
        return None
    return Fenced("this runner may not write: " + text.split("fenced:", 1)[1].strip().splitlines()[0],
                  hint="the leading service runs jobs; ask it")
