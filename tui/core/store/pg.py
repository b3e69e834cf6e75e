"""PostgreSQL plumbing for the store: a connection that speaks the tables' SQL, the URL
kept out of sight, and what a database failure means to the operator.

psycopg is imported only when a ``postgresql://`` state is opened, so a SQLite site does
not need it installed (``pip install 'bayops[postgresql]'``).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.model.errors import BadInput, BayopsError, OperationFailed, Refused


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """The tables' SQL (``?`` placeholders, SQLite's quoting) in psycopg's words."""
    return sql.replace("%", "%%").replace("?", "%s")


def redacted(url: str) -> str:
    """The URL without its password: what logs, events and screens may show."""
    parts = urlsplit(url)
    if parts.password is not None:
        url = url.replace(f":{parts.password}@", ":***@", 1)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", url)


def local_folder(url: str) -> Path:
    """This host's folder for a PostgreSQL site (archives, simulator hardware, layout)."""
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    clean = redacted(url)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", urlsplit(clean).path.strip("/") or "postgres")[:40]
    digest = hashlib.sha256(clean.encode()).hexdigest()[:10]
    return Path(xdg) / "bayops" / f"pg-{name}-{digest}"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise BadInput("a postgresql:// state needs psycopg", code="missing-dependency",
                       hint="pip install 'bayops[postgresql]'") from None
    return psycopg


def connect_pg(url: str, where: str) -> Any:
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10,
                               application_name="bayops")
        # A writer waits for the write lock at most as long as SQLite's busy timeout.
        conn.execute("SET lock_timeout = '15s'")
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
    """A psycopg connection (autocommit; ``write()`` opens transactions) that takes the
    tables' SQL as it is, and opens a new connection when the server went away between
    transactions (a restarted database, a failover of the database server)."""

    def __init__(self, opener: Callable[[], Any]):
        self._open = opener
        self.conn = opener()

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.conn.info.transaction_status in (
            TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE))

    def _usable(self) -> Any:
        if self.conn.closed or self.conn.broken:
            self.conn = self._open()
        return self.conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        from psycopg import OperationalError

        outside = not self.in_transaction
        parameters = _text(parameters)
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
        """Several statements (a migration), without parameters."""
        self._usable().execute(script)

    def rollback_quietly(self) -> None:
        if not self.conn.broken and not self.conn.closed:
            try:
                self.conn.execute("ROLLBACK")
            except Exception:  # a broken connection: the next use opens another
                return

    def close(self) -> None:
        self.conn.close()
