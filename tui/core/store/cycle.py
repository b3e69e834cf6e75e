"""The failure cycle's rows (schema 6): drained enclosures, flagged bays, profile homes,
and the servers rediscovery finds."""
from __future__ import annotations

from tui.core.store.base import StoreBase
from tui.model.entities import ServerInfo


class CycleTables(StoreBase):
    def drained_job(self, enclosure: str) -> int | None:
        row = self.db.execute("SELECT drained_job FROM enclosures WHERE name = ?",
                              (enclosure,)).fetchone()
        return row[0] if row else None

    def set_drained(self, enclosure: str, job_id: int | None) -> None:
        """Drain the enclosure for ``job_id`` (None: back in use)."""
        with self.write() as db:
            db.execute("UPDATE enclosures SET drained_job = ? WHERE name = ?", (job_id, enclosure))

    def set_flag(self, bay_id: str, flag: str | None) -> None:
        with self.write() as db:
            if flag is not None:  # a flagged bay is no spare (the schema refuses the reverse)
                db.execute("UPDATE bays SET spare = 0 WHERE id = ?", (bay_id,))
            db.execute("UPDATE bays SET flag = ? WHERE id = ?", (flag, bay_id))

    def set_home(self, profile: str, bay_id: str | None) -> None:
        """Set the profile's home; None (it is home, or nothing to go back to) forgets the
        spare it borrowed as well."""
        with self.write() as db:
            # Two statements, not CASE WHEN ? IS NULL: PostgreSQL cannot type a bare NULL.
            if bay_id is None:
                db.execute("UPDATE profiles SET home = NULL, borrowed = NULL WHERE name = ?",
                           (profile,))
            else:
                db.execute("UPDATE profiles SET home = ? WHERE name = ?", (bay_id, profile))

    def homes(self, enclosure: str | None = None) -> dict[str, str]:
        """Profile -> its home bay, for profiles away from home (of one enclosure's bays)."""
        sql = "SELECT p.name, p.home FROM profiles p"
        if enclosure is None:
            return {r[0]: r[1] for r in self.db.execute(sql + " WHERE p.home IS NOT NULL")}
        return {r[0]: r[1] for r in self.db.execute(
            sql + " JOIN bays b ON b.id = p.home WHERE b.enclosure = ?", (enclosure,))}

    def homed_at(self, bay_ids: list[str]) -> dict[str, str]:
        """Bay -> the profile whose home it is (for those of ``bay_ids`` that are one)."""
        return {r[0]: r[1] for r in self.db.execute(
            f"SELECT home, name FROM profiles WHERE home IN ({','.join('?' * len(bay_ids))})",
            bay_ids)}

    def set_server(self, bay_id: str, server: ServerInfo | None) -> None:
        """What rediscovery found in the bay: a server, or none (an empty bay is no spare)."""
        with self.write() as db:
            if server is None:
                db.execute("UPDATE bays SET spare = 0, model = NULL, generation = NULL,"
                           " serial = NULL, power = 'off', health = 'ok' WHERE id = ?", (bay_id,))
            else:
                db.execute("UPDATE bays SET model = ?, generation = ?, serial = ?, power = ?,"
                           " health = ? WHERE id = ?",
                           (server.model, server.generation, server.serial, server.power,
                            server.health, bay_id))
