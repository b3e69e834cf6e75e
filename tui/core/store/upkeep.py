"""Domain maintenance's tables (schema 10): firmware per component, configuration backups."""
from __future__ import annotations

import json
import time

from tui.core.store.base import StoreBase
from tui.model.entities import DomainConfig
from tui.model.upkeep import DomainBackup

# Backups kept per domain; older ones leave the store only into an archive file
# (`bayops events archive`, as events do), which `bayops domain backups --archived` reads.
BACKUPS_KEPT = 20


class UpkeepTables(StoreBase):
    def firmware(self, domain: str) -> dict[str, str]:
        """Component -> version as last read from the hardware ({} if never read)."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT component, version FROM domain_firmware WHERE domain = ? ORDER BY component",
            (domain,))}

    def record_firmware(self, domain: str, versions: dict[str, str]) -> None:
        now = time.time()
        with self.write() as db:
            for component, version in versions.items():
                db.execute("INSERT INTO domain_firmware (domain, component, version, read_at)"
                           " VALUES (?, ?, ?, ?) ON CONFLICT (domain, component) DO UPDATE"
                           " SET version = excluded.version, read_at = excluded.read_at",
                           (domain, component, version, now))

    def firmware_versions(self) -> dict[str, list[str]]:
        """Domain -> the distinct versions its components were last read running."""
        out: dict[str, list[str]] = {}
        for domain, version in self.db.execute(
                "SELECT DISTINCT domain, version FROM domain_firmware ORDER BY domain, version"):
            out.setdefault(domain, []).append(version)
        return out

    def ports_down(self) -> dict[str, list[str]]:
        """Domain -> its uplink ports last seen down."""
        out: dict[str, list[str]] = {}
        for domain, port in self.db.execute(
                "SELECT domain, port FROM domain_ports_down ORDER BY domain, port"):
            out.setdefault(domain, []).append(port)
        return out

    def record_port(self, domain: str, port: str, up: bool) -> bool:
        """Note a port's link; True when that changed what was recorded."""
        with self.write() as db:
            if up:
                return db.execute("DELETE FROM domain_ports_down WHERE domain = ? AND port = ?",
                                  (domain, port)).rowcount > 0
            return db.execute("INSERT INTO domain_ports_down (domain, port, since) VALUES (?, ?, ?)"
                              " ON CONFLICT (domain, port) DO NOTHING",
                              (domain, port, time.time())).rowcount > 0

    def add_backup(self, backup: DomainBackup) -> int:
        """Keep ``backup``; its id is given by the store."""
        with self.write() as db:
            cur = db.execute(
                "INSERT INTO domain_backups (domain, taken, operator, reason, hash, config,"
                " payload, job) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (backup.domain, backup.taken, backup.operator, backup.reason, backup.hash,
                 json.dumps(backup.config.to_dict()), json.dumps(backup.payload), backup.job))
            return int(cur.fetchone()[0])

    def archivable_backups(self) -> tuple[int, ...]:
        """The backups past the newest ``BACKUPS_KEPT`` of their domain, oldest first."""
        return tuple(int(r[0]) for r in self.db.execute(
            "SELECT id FROM domain_backups b WHERE (SELECT COUNT(*) FROM domain_backups n"
            " WHERE n.domain = b.domain AND n.id > b.id) >= ? ORDER BY id", (BACKUPS_KEPT,)))

    def backups(self, domain: str) -> list[DomainBackup]:
        """Newest first."""
        return [self._backup(r) for r in self.db.execute(
            f"SELECT {_BACKUP} FROM domain_backups WHERE domain = ? ORDER BY id DESC", (domain,))]

    def backup(self, backup_id: int) -> DomainBackup | None:
        row = self.db.execute(f"SELECT {_BACKUP} FROM domain_backups WHERE id = ?",
                              (backup_id,)).fetchone()
        return self._backup(row) if row else None

    def backup_of_job(self, job_id: int, domain: str) -> DomainBackup | None:
        """The backup job ``job_id`` took of ``domain`` (a resumed step finds its own)."""
        row = self.db.execute(f"SELECT {_BACKUP} FROM domain_backups WHERE job = ? AND domain = ?"
                              " ORDER BY id DESC LIMIT 1", (job_id, domain)).fetchone()
        return self._backup(row) if row else None

    @staticmethod
    def _backup(row: tuple[object, ...]) -> DomainBackup:
        bid, domain, taken, operator, reason, digest, config, payload, job = row
        return DomainBackup(int(str(bid)), str(domain), float(str(taken)), str(operator),
                            str(reason), str(digest), DomainConfig.from_dict(json.loads(str(config))),
                            json.loads(str(payload)), None if job is None else int(str(job)))


_BACKUP = "id, domain, taken, operator, reason, hash, config, payload, job"
