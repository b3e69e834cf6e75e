"""Bearer tokens of remote clients: only a SHA-256 of each secret is stored. Failed
attempts are kept by address for a minute or so (schema 9), so that every service of a
site counts them together."""
from __future__ import annotations

import time
from dataclasses import dataclass

from tui.core.store.base import StoreBase


@dataclass(frozen=True)
class TokenRecord:
    id: int
    user: str
    created: float
    expires: float
    revoked: float | None
    created_by: str
    last_used: float | None

    def valid(self, now: float) -> bool:
        return self.revoked is None and now < self.expires


# "user" quoted: in PostgreSQL a bare user is the database's current user.
_COLUMNS = 'id, "user", created, expires, revoked, created_by, last_used'


class TokenTables(StoreBase):
    def add_token(self, user: str, digest: str, expires: float, created_by: str) -> int:
        with self.write() as db:
            cur = db.execute("INSERT INTO tokens (\"user\", hash, created, expires, created_by)"
                             " VALUES (?, ?, ?, ?, ?) RETURNING id",
                             (user, digest, time.time(), expires, created_by))
            return int(cur.fetchone()[0])

    def tokens(self) -> list[TokenRecord]:
        return [TokenRecord(*r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM tokens ORDER BY id")]

    def token_by_hash(self, digest: str) -> TokenRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM tokens WHERE hash = ?", (digest,)).fetchone()
        return TokenRecord(*row) if row else None

    def token_used(self, token_id: int, when: float) -> None:
        with self.write() as db:
            db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (when, token_id))

    def revoke_token(self, token_id: int, when: float) -> bool:
        """False when there is no such token or it was revoked already."""
        with self.write() as db:
            return db.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                              (when, token_id)).rowcount == 1

    def token_failures(self, address: str, key: str, since: float) -> tuple[int, int, float | None]:
        """Failed attempts at ``since`` or later: (under ``key``, from ``address`` under any
        key, the earliest one's time under ``key``). A key is the address, a space and
        more (``add_token_failure``)."""
        start = f"{address} "
        row = self.db.execute(
            "SELECT SUM(CASE WHEN address = ? THEN 1 ELSE 0 END), COUNT(*),"
            " MIN(CASE WHEN address = ? THEN at END) FROM token_failures"
            " WHERE (address = ? OR substr(address, 1, ?) = ?) AND at >= ?",
            (key, key, address, len(start), start, since)).fetchone()
        return int(row[0] or 0), int(row[1]), (float(row[2]) if row[2] is not None else None)

    def add_token_failure(self, key: str, when: float, keep: float) -> None:
        """Record a failed attempt under ``key`` (its address first); attempts from anyone
        older than ``keep`` seconds before it are forgotten (the table stays small)."""
        with self.write() as db:
            db.execute("DELETE FROM token_failures WHERE at < ?", (when - keep,))
            db.execute("INSERT INTO token_failures (address, at) VALUES (?, ?)",
                       (key[:200] or "?", when))
