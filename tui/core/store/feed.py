"""The change feed: one revision per change to what a reader shows.

Triggers (schema 3) append (kind, key) rows; readers ask what changed since the
revision they have seen, in time proportional to the changes. Old rows are pruned; a
reader older than the pruned horizon is told to load everything again (resync).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tui.core.store.base import StoreBase

PRUNED = "feed_pruned_through"


@dataclass
class ChangeSet:
    """What changed after ``since``, up to ``rev``; keys by kind (bay, profile, job,
    domain, group, enclosure, event). ``resync``: the reader is too far behind."""

    since: int
    rev: int
    keys: dict[str, set[str]] = field(default_factory=dict)
    resync: bool = False
    more: bool = False  # the batch limit was reached: ask again from ``rev``

    def of(self, kind: str) -> set[str]:
        return self.keys.get(kind, set())

    def __bool__(self) -> bool:
        return self.resync or bool(self.keys)


class FeedTables(StoreBase):
    def revision(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(rev), 0) FROM changes").fetchone()[0])

    def changes_since(self, rev: int, limit: int = 20_000) -> ChangeSet:
        db = self.db
        pruned = self.meta(PRUNED)
        if pruned is not None and rev < int(pruned):
            return ChangeSet(rev, self.revision(), resync=True)
        rows = db.execute("SELECT rev, kind, key FROM changes WHERE rev > ? ORDER BY rev LIMIT ?",
                          (rev, limit)).fetchall()
        out = ChangeSet(rev, rows[-1][0] if rows else rev, more=len(rows) == limit)
        for _, kind, key in rows:
            out.keys.setdefault(kind, set()).add(key)
        return out

    def prune_changes(self, keep: int, batch: int = 20_000) -> int:
        """Forget all but the newest ``keep`` revisions, at most ``batch`` rows a call (so
        a poll after a long backlog costs the same as any other); returns how many went."""
        with self.write() as db:
            pruned = int(self.meta(PRUNED) or 0)
            horizon = min(self.revision() - keep, pruned + batch)
            if horizon <= pruned:
                return 0
            gone = db.execute("DELETE FROM changes WHERE rev > ? AND rev <= ?",
                              (pruned, horizon)).rowcount
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                       (PRUNED, str(horizon), str(horizon)))
            return int(gone)
