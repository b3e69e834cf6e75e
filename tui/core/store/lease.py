"""The leader lease of active/standby services (schema 8; docs/postgresql.md).

One row: the holder, the address its clients use, the epoch and when the lease ends. Time
is the database's clock, so two hosts' clocks never have to agree. Taking an expired lease
adds one to the epoch; the store then writes that epoch with every job and step, and the
database refuses writes of any other epoch (fencing): a deposed leader that still runs
cannot drive a job, whatever it believes.
"""
from __future__ import annotations

from dataclasses import dataclass

from tui.core.store.base import StoreBase


@dataclass(frozen=True)
class Lease:
    holder: str
    address: str
    epoch: int
    expires: float
    remaining: float  # seconds left by the database's clock (<= 0: expired)

    @property
    def live(self) -> bool:
        return self.remaining > 0


class LeaseTables(StoreBase):
    def lease(self) -> Lease | None:
        row = self.db.execute(
            f"SELECT holder, address, epoch, expires, expires - {self.backend.now} FROM leader"
        ).fetchone()
        return Lease(row[0], row[1], int(row[2]), float(row[3]), float(row[4])) if row else None

    def take_lease(self, holder: str, address: str, seconds: float) -> int | None:
        """Become the leader if nobody holds a live lease (or we do): the epoch, else None.
        ``self.epoch`` is set to it: this process's job writes carry it from now on."""
        now = self.backend.now
        with self.write() as db:
            row = db.execute(f"SELECT holder, epoch, expires > {now} FROM leader").fetchone()
            if row is None:
                epoch = 1
                db.execute(f"INSERT INTO leader VALUES (1, ?, ?, 1, {now} + ?)",
                           (holder, address, seconds))
            elif row[0] == holder and row[2] and row[1] == self.epoch:
                epoch = int(row[1])  # ours still: renew
                db.execute(f"UPDATE leader SET expires = {now} + ?, address = ?",
                           (seconds, address))
            elif row[2]:
                return None  # another holds a live lease
            else:
                epoch = int(row[1]) + 1
                db.execute(f"UPDATE leader SET holder = ?, address = ?, epoch = ?,"
                           f" expires = {now} + ?", (holder, address, epoch, seconds))
        self.epoch = epoch
        return epoch

    def renew_lease(self, seconds: float) -> bool:
        """Extend our live lease; False if it is gone (expired, or taken)."""
        if self.epoch is None:
            return False
        now = self.backend.now
        with self.write() as db:
            return bool(db.execute(f"UPDATE leader SET expires = {now} + ? WHERE epoch = ?"
                                   f" AND expires > {now}", (seconds, self.epoch)).rowcount == 1)

    def release_lease(self) -> None:
        """End our lease now (a clean stop): a standby need not wait for it to run out."""
        if self.epoch is not None:
            with self.write() as db:
                db.execute(f"UPDATE leader SET expires = {self.backend.now} WHERE epoch = ?",
                           (self.epoch,))
