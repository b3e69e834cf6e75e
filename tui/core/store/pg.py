"""PostgreSQL plumbing for the store: a connection that speaks the tables' SQL, the URL
kept out of sight, and what a database failure means to the operator.

psycopg is imported only when a ``postgresql://`` state is opened, so a SQLite site does
not need it installed (``pip install 'bayops[postgresql]'``).
"""
from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.model.errors import BadInput, BayopsError, OperationFailed, Refused
from tui.model.stateref import redacted


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """The tables' SQL (``?`` placeholders, SQLite's quoting) in psycopg's words."""
    return sql.replace("%", "%%").replace("?", "%s")


def local_folder(url: str) -> Path:
    """This host's folder for a PostgreSQL site (archives, simulator hardware, layout)."""
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    clean = redacted(url)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", urlsplit(clean).path.strip("/") or "postgres")[:40]
    import hashlib  # a PostgreSQL site's only: SQLite starts without OpenSSL's

    digest = hashlib.sha256(clean.encode()).hexdigest()[:10]
    return Path(xdg) / "bayops" / f"pg-{name}-{digest}"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise BadInput("a postgresql:// state needs psycopg", code="missing-dependency",
                       hint="pip install 'bayops[postgresql]'") from None
    return psycopg


def connect_pg(url: str, where: str, deadline: float | None = None) -> Any:
    """``deadline``: seconds any one statement (or wait for a lock) may take at most."""
    psycopg = _psycopg()
    try:
        # prepare_threshold=None: psycopg's automatic prepare inside a pipelined write that
        # the server aborted (a Fenced refusal) records a statement the server never
        # parsed, and the next use fails 'prepared statement "_pg3_N" does not exist'
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10, prepare_threshold=None,
                               application_name=f"bayops {os.getpid()}")
        # A writer waits for the write lock at most as long as SQLite's busy timeout.
        conn.execute("SET lock_timeout = '15s'" if deadline is None
                     else f"SET lock_timeout = {int(deadline * 1000)}")
        if deadline is not None:  # the server ends what its client left hanging, too
            for setting in ("statement_timeout", "idle_in_transaction_session_timeout"):
                conn.execute(f"SET {setting} = {int(deadline * 1000)}")
    except psycopg.Error as exc:
        raise pg_failure(exc, where) or OperationFailed(
            f"state {where}: cannot connect ({_first_line(exc)})") from None
    return conn


def is_pg_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("psycopg")


def pg_failure(exc: BaseException, where: str) -> BayopsError | None:
    """The plain error for a database that is unreachable, busy, read-only or full;
    None for anything else (an integrity violation is a bug, as with SQLite)."""
    if isinstance(exc, BayopsError):
        return exc
    if not is_pg_error(exc):
        return None
    from psycopg import OperationalError, errors

    text = _first_line(exc)
    if isinstance(exc, errors.LockNotAvailable | errors.DeadlockDetected):
        return Refused(f"state {where} is busy ({text}); try again")
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return Refused(f"state {where} is read-only ({text})", code="read-only",
                       hint="point bayops at the primary, not a standby replica")
    if isinstance(exc, errors.DiskFull):
        return OperationFailed(f"state {where}: the database's disk is full ({text})",
                               code="disk-full", hint="free space on the database server")
    if isinstance(exc, errors.InvalidCatalogName | errors.InvalidAuthorizationSpecification
                  | errors.InvalidPassword):
        return BadInput(f"state {where}: cannot connect ({text})", code="store-unreachable",
                        hint="check the database name, user and password in the URL")
    if isinstance(exc, OperationalError):
        return OperationFailed(f"state {where}: the database cannot be reached ({text})",
                               code="store-unreachable",
                               hint="check that PostgreSQL runs; bayops reconnects by itself")
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _text(parameters: Sequence[Any]) -> Sequence[Any]:
    """PostgreSQL text cannot hold NUL: it is stored as U+FFFD (a BMC's message may carry
    one; names cannot). SQLite keeps it as it is."""
    if any(isinstance(p, str) and "\x00" in p for p in parameters):
        return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) else p for p in parameters)
    return parameters


class PgConnection:
    """A psycopg connection (autocommit; ``begin()`` opens a write transaction) that takes
    the tables' SQL as it is, and opens a new connection when the server went away between
    transactions (a restarted database, a failover of the database server).

    A write transaction runs in pipeline mode: a statement goes out without waiting for
    the one before, and the client waits only where it reads a result (a row, a rowcount)
    and at COMMIT. The server still runs them one by one, in order, inside the one
    transaction; a failed one fails the transaction (raised at the next wait, COMMIT at
    the latest), and nothing of it lands. So the write lock is held for the server's
    work plus one round trip per result read, not one per statement."""

    def __init__(self, opener: Callable[[], Any]):
        self._open = opener
        self.conn = opener()
        self._pipeline: ExitStack | None = None  # the open write transaction's pipeline
        self._sync: Callable[[], None] = lambda: None  # wait for all sent in it

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._pipeline is not None or bool(self.conn.info.transaction_status in (
            TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE))

    def _usable(self) -> Any:
        if self.conn.closed or self.conn.broken:
            self.conn = self._open()
        return self.conn

    def begin(self, lock_key: int) -> None:
        """BEGIN and wait for the advisory lock ``lock_key``: one round trip. Returns
        holding it (a server that went away shows here, before anything was written)."""
        conn = self._usable()
        self._pipeline = ExitStack()
        self._sync = self._pipeline.enter_context(conn.pipeline()).sync
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        self._sync()

    def commit(self) -> None:
        """COMMIT, sent after the transaction's statements; waits for all of them."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None:
            self.conn.execute("COMMIT")
            return
        try:
            self.conn.execute("COMMIT")
        except BaseException:  # the transaction's first error; what follows it is moot
            with suppress(Exception):
                pipeline.close()
            raise
        pipeline.close()  # waits for all; the first error of the transaction is raised here

    def _settle(self) -> None:
        """Leave pipeline mode (waiting for what was sent); the transaction goes on."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        from psycopg import OperationalError

        parameters = _text(parameters)
        if self._pipeline is not None:
            return _Pending(self.conn.execute(translate(sql), parameters), self._sync)
        outside = not self.in_transaction
        try:
            return self._usable().execute(translate(sql), parameters)
        except OperationalError:
            if not (outside and (self.conn.broken or self.conn.closed)):
                raise
            # The connection broke between transactions: one new one, then the same question.
            self.conn = self._open()
            return self.conn.execute(translate(sql), parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        cur = self._usable().cursor()
        cur.executemany(translate(sql), [_text(row) for row in parameters])
        return cur

    def execute_script(self, script: str) -> None:
        """Several statements (a migration), without parameters (not pipelined)."""
        self._settle()
        self._usable().execute(script)

    def rollback_quietly(self) -> None:
        """End the transaction, if any, landing nothing of it."""
        with suppress(Exception):  # the transaction's own failure: rolled back below
            self._settle()
        if not self.conn.broken and not self.conn.closed:
            try:
                self.conn.execute("ROLLBACK")
            except Exception:  # a broken connection: the next use opens another
                return

    def close(self) -> None:
        self._pipeline = None
        self.conn.close()


class _Pending:
    """A statement's result in a pipelined transaction: reading it waits for it."""

    def __init__(self, cursor: Any, sync: Callable[[], None]):
        self._cursor, self._sync = cursor, sync

    @property
    def rowcount(self) -> int:
        self._sync()  # a write's count is known once it ran
        return int(self._cursor.rowcount)

    @property
    def description(self) -> Any:
        self._sync()
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)
