"""The fleet's tables: groups, domains, enclosures, bays, profiles, addresses, maintenance."""
from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from tui.core.store.base import StoreBase
from tui.core.store.glance import BAY_JOINS, SPARE_READY  # one ready-spare rule, one join
from tui.model.entities import (
    Bay,
    Connection,
    DomainConfig,
    DomainRecord,
    EnclosureRecord,
    GroupRecord,
    Maintenance,
    Policy,
    Profile,
    ServerInfo,
)
from tui.model.errors import Refused

_BAY_SELECT = f"""
    SELECT b.id, b.enclosure, b.number, d.name, d.grp, b.model, b.generation, b.serial,
           b.power, b.health, b.spare, p.name, p.boot_mode, l.job, m.domain IS NOT NULL,
           b.acked_by, b.acked_at, e.drained_job IS NOT NULL, b.flag, b.note, b.note_by, b.note_at,
           dl.job
    {BAY_JOINS}
"""




def _bays(rows: Iterable[tuple[Any, ...]]) -> list[Bay]:
    """Bays from _BAY_SELECT rows. The values many bays repeat (enclosure, domain, group,
    model, generation, power, health, boot mode) are one string each, not one per bay:
    a 64,000-bay view is ~30 MB smaller."""
    shared: dict[Any, Any] = {}
    one = shared.setdefault
    return [Bay(id=r[0], enclosure=one(r[1], r[1]), number=r[2], domain=one(r[3], r[3]),
                group=one(r[4], r[4]), model=one(r[5], r[5]), generation=one(r[6], r[6]),
                serial=r[7], power=one(r[8], r[8]), health=one(r[9], r[9]), spare=bool(r[10]),
                profile=r[11], boot_mode=one(r[12], r[12]), job_id=r[13],
                maintenance=bool(r[14]), acked_by=r[15], acked_at=r[16], drained=bool(r[17]),
                flag=r[18], note=r[19], note_by=r[20], note_at=r[21], domain_job=r[22]) for r in rows]




class FleetTables(StoreBase):
    # -- fleet creation -------------------------------------------------------------------
    def add_group(self, name: str, baseline: DomainConfig, policy: Policy) -> None:
        with self.write() as db:
            db.execute("INSERT INTO groups VALUES (?, ?, ?, ?)",
                       (name, json.dumps(baseline.to_dict()), policy.mode, policy.window))

    def add_domain(self, name: str, group: str, config: DomainConfig) -> None:
        with self.write() as db:
            db.execute("INSERT INTO domains VALUES (?, ?, ?)",
                       (name, group, json.dumps(config.to_dict())))

    def add_enclosure(self, name: str, domain: str, model: str, bays: int,
                      servers: dict[int, ServerInfo | None]) -> None:
        with self.write() as db:
            db.execute("INSERT INTO enclosures (name, domain, model, bay_count) VALUES (?, ?, ?, ?)",
                       (name, domain, model, bays))
            db.executemany(
                "INSERT INTO bays (id, enclosure, number, model, generation, serial, power, health)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"{name}/{n}", name, n,
                  s.model if s else None, s.generation if s else None, s.serial if s else None,
                  s.power if s else "off", s.health if s else "ok")
                 for n, s in ((n, servers.get(n)) for n in range(1, bays + 1))])

    def add_profile(self, profile: Profile) -> None:
        with self.write() as db:
            db.execute("INSERT INTO profiles (name, grp, serial, boot_mode, san_target, san_lun, bay)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (profile.name, profile.group, profile.serial, profile.boot_mode,
                        profile.san_target, profile.san_lun, profile.bay))
            db.executemany("INSERT INTO connections VALUES (?, ?, ?, ?, ?)",
                           [(profile.name, c.kind, c.index, c.address, c.target)
                            for c in profile.connections])

    def set_identities(self, name: str, serial: str, connections: tuple[Connection, ...]) -> None:
        """Record the addresses and serial a profile carries now (physical ones follow the blade)."""
        with self.write() as db:
            db.execute("UPDATE profiles SET serial = ? WHERE name = ?", (serial, name))
            db.execute("DELETE FROM connections WHERE profile = ?", (name,))
            db.executemany("INSERT INTO connections VALUES (?, ?, ?, ?, ?)",
                           [(name, c.kind, c.index, c.address, c.target) for c in connections])

    def delete_profile(self, name: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM profiles WHERE name = ?", (name,))

    # -- reading the fleet ----------------------------------------------------------------
    def group_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM groups ORDER BY name")]

    def group(self, name: str) -> GroupRecord | None:
        row = self.db.execute("SELECT baseline, policy, \"window\" FROM groups WHERE name = ?",
                              (name,)).fetchone()
        if row is None:
            return None
        return GroupRecord(name, DomainConfig.from_dict(json.loads(row[0])), Policy(row[1], row[2]))

    def domains(self, group: str | None = None) -> list[DomainRecord]:
        sql = "SELECT name, grp, config FROM domains"
        args: tuple[str, ...] = ()
        if group is not None:
            sql += " WHERE grp = ?"
            args = (group,)
        rows = self.db.execute(sql + " ORDER BY name", args).fetchall()
        # a group's domains mostly hold one configuration: each text read once (1,000
        # domains at 64,000 bays, at every dashboard start), one frozen value shared
        configs = {text: DomainConfig.from_dict(json.loads(text)) for text in {r[2] for r in rows}}
        return [DomainRecord(r[0], r[1], configs[r[2]]) for r in rows]

    def domain(self, name: str) -> DomainRecord | None:
        row = self.db.execute("SELECT name, grp, config FROM domains WHERE name = ?",
                              (name,)).fetchone()
        return DomainRecord(row[0], row[1], DomainConfig.from_dict(json.loads(row[2]))) if row else None

    def domain_group(self, domain: str) -> str | None:
        row = self.db.execute("SELECT grp FROM domains WHERE name = ?", (domain,)).fetchone()
        return row[0] if row else None

    def enclosures(self, domain: str | None = None) -> list[EnclosureRecord]:
        sql = "SELECT name, domain, model, bay_count, drained_job FROM enclosures"
        args: tuple[str, ...] = ()
        if domain is not None:
            sql += " WHERE domain = ?"
            args = (domain,)
        return [EnclosureRecord(r[0], r[1], r[2], r[3], r[4])
                for r in self.db.execute(sql + " ORDER BY name", args)]

    def enclosure_exists(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM enclosures WHERE name = ?", (name,)).fetchone() is not None

    def bays(self, group: str | None = None, domain: str | None = None,
             enclosure: str | None = None, ids: list[str] | None = None,
             spares_only: bool = False) -> list[Bay]:
        where, args = ["b.spare = 1"] if spares_only else [], []
        for column, value in (("d.grp", group), ("d.name", domain), ("b.enclosure", enclosure)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if ids is not None:
            where.append(f"b.id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        sql = _BAY_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        return _bays(self.db.execute(sql + " ORDER BY b.enclosure, b.number", args))

    def bay_slices(self, size: int) -> Iterator[list[Bay]]:
        """Every bay, in the fleet's order, ``size`` at a time from one query (a whole-fleet
        rediscovery: never the fleet's bays all at once). Write nothing on this thread's
        connection until the last slice is taken."""
        rows = self.db.execute(_BAY_SELECT + " ORDER BY b.enclosure, b.number")
        while bays := _bays(itertools.islice(rows, size)):
            yield bays

    def server_ids(self) -> list[str]:
        """The bays with a server (those a health sweep reads), in id order."""
        return [r[0] for r in self.db.execute("SELECT id FROM bays WHERE model IS NOT NULL ORDER BY id")]

    def readings(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """(power, health) of those of ``ids`` with a server: one table, no joins, for the
        health sweep (a whole one asks a slice of ``server_ids`` at a time)."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT id, power, health FROM bays WHERE model IS NOT NULL"
            f" AND id IN ({','.join('?' * len(ids))})", ids)}

    def bay(self, bay_id: str) -> Bay | None:
        row = self.db.execute(_BAY_SELECT + " WHERE b.id = ?", (bay_id,)).fetchone()
        return _bays([row])[0] if row else None

    def profile(self, name: str) -> Profile | None:
        found = self._profiles(" WHERE p.name = ?", (name,))
        return found[0] if found else None

    def profiles(self, group: str | None = None) -> list[Profile]:
        return self._profiles(" WHERE p.grp = ?", (group,)) if group else self._profiles("", ())

    def _profiles(self, where: str, params: tuple[str, ...]) -> list[Profile]:
        """The profiles ``where`` picks (of ``profiles p``), by name: two queries however
        many (one a profile for its connections was 0.19 s a call at PostgreSQL's demo size)."""
        rows = self.db.execute(
            "SELECT p.name, p.grp, p.serial, p.boot_mode, p.san_target, p.san_lun, p.bay, l.job,"
            " p.home, p.borrowed"
            " FROM profiles p LEFT JOIN locks l ON l.resource = 'profile:' || p.name"
            + where + " ORDER BY p.name", params).fetchall()
        if not rows:
            return []
        conns: dict[str, list[Connection]] = {}
        for c in self.db.execute(
                "SELECT c.profile, c.kind, c.idx, c.address, c.target FROM connections c"
                " JOIN profiles p ON p.name = c.profile" + where
                + " ORDER BY c.profile, c.kind DESC, c.idx", params):
            conns.setdefault(c[0], []).append(Connection(*c[1:]))
        return [Profile(r[0], r[1], r[2], r[3], r[4], r[5], tuple(conns.get(r[0], ())), r[6],
                        r[7], r[8], r[9]) for r in rows]

    def used_addresses(self, kind: str) -> set[str]:
        if kind == "serial":
            rows = self.db.execute("SELECT serial FROM profiles")
        else:
            rows = self.db.execute("SELECT address FROM connections WHERE kind = ?",
                                   ("eth" if kind == "mac" else "fc",))
        return {r[0] for r in rows} | self.excluded_addresses(kind)

    def excluded_addresses(self, kind: str) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT address FROM excluded_addresses WHERE kind = ?", (kind,))}

    def exclude_address(self, kind: str, address: str) -> None:
        with self.write() as db:
            db.execute("INSERT INTO excluded_addresses VALUES (?, ?) ON CONFLICT DO NOTHING",
                       (kind, address))

    def include_address(self, kind: str, address: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM excluded_addresses WHERE kind = ? AND address = ?",
                       (kind, address))

    def address_owner(self, kind: str, address: str) -> str | None:
        if kind == "serial":
            row = self.db.execute("SELECT name FROM profiles WHERE serial = ?", (address,)).fetchone()
        else:
            row = self.db.execute("SELECT profile FROM connections WHERE address = ?",
                                  (address,)).fetchone()
        return row[0] if row else None

    def health_counts(self) -> dict[str, int]:
        """Servers by health across the fleet (empty bays not counted)."""
        return {r[0]: int(r[1]) for r in self.db.execute(
            "SELECT health, COUNT(*) FROM bays WHERE model IS NOT NULL GROUP BY health")}

    def counts(self, group: str | None = None) -> dict[str, dict[str, int]]:
        """Per-group figures for status, in one pass."""
        out: dict[str, dict[str, int]] = {}
        where = "WHERE d.grp = ?" if group else ""
        for row in self.db.execute(f"""
            SELECT d.grp, COUNT(*), COUNT(b.model), COUNT(p.name),
                   SUM(CASE WHEN b.health = 'critical' AND b.model IS NOT NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN b.health = 'warning' AND b.model IS NOT NULL THEN 1 ELSE 0 END),
                   SUM(b.spare),
                   SUM(CASE WHEN b.spare = 1 AND {SPARE_READY} THEN 1 ELSE 0 END)
            {BAY_JOINS}
            {where} GROUP BY d.grp""", (group,) if group else ()):
            out[row[0]] = dict(zip(("bays", "servers", "profiles", "critical", "warning",
                                    "spares", "spares_ready"), (int(v or 0) for v in row[1:]), strict=True))
        return out

    # -- changing the fleet ---------------------------------------------------------------
    def set_reading(self, bay_id: str, power: str | None = None, health: str | None = None) -> None:
        with self.write() as db:
            if power is not None:
                db.execute("UPDATE bays SET power = ? WHERE id = ?", (power, bay_id))
            if health is not None:
                db.execute("UPDATE bays SET health = ? WHERE id = ?", (health, bay_id))

    def set_readings(self, readings: dict[str, tuple[str, str]]) -> None:
        with self.write() as db:
            db.executemany("UPDATE bays SET power = ?, health = ? WHERE id = ?",
                           [(p, h, b) for b, (p, h) in readings.items()])

    def compare_and_set_reading(self, bay_id: str, old: tuple[str, str],
                                new: tuple[str, str]) -> bool:
        with self.write() as db:
            cur = db.execute("UPDATE bays SET power = ?, health = ? WHERE id = ? AND power = ?"
                             " AND health = ?", (*new, bay_id, *old))
            return cur.rowcount == 1

    def acknowledge(self, bay_id: str, operator: str, when: float) -> None:
        """Record who acknowledged the bay's critical state (schema 5 clears it when the
        bay turns healthy)."""
        with self.write() as db:
            db.execute("UPDATE bays SET acked_by = ?, acked_at = ? WHERE id = ?",
                       (operator, when, bay_id))

    def set_spare(self, bay_id: str, spare: bool) -> None:
        with self.write() as db:
            db.execute("UPDATE bays SET spare = ? WHERE id = ?", (int(spare), bay_id))

    def assign_profile(self, name: str, bay_id: str | None) -> None:
        with self.write() as db:
            db.execute("UPDATE profiles SET bay = ? WHERE name = ?", (bay_id, name))

    def place_profile(self, name: str, bay_id: str, borrow: bool) -> None:
        """Put the profile on ``bay_id``, which leaves the spare pool; the profile joins
        the bay's group. ``borrow``: remember the bay as the spare it borrowed (or no
        spare, if it was none). Asks nothing back: no wait inside the write lock."""
        with self.write() as db:
            if borrow:
                db.execute("UPDATE profiles SET borrowed = (SELECT id FROM bays WHERE id = ?"
                           " AND spare = 1) WHERE name = ?", (bay_id, name))
            db.execute("UPDATE bays SET spare = 0 WHERE id = ?", (bay_id,))
            db.execute("UPDATE profiles SET bay = ?, grp = (SELECT d.grp FROM bays b"
                       " JOIN enclosures e ON e.name = b.enclosure JOIN domains d"
                       " ON d.name = e.domain WHERE b.id = ?) WHERE name = ?",
                       (bay_id, bay_id, name))

    def unassign_profile(self, name: str, bay_id: str) -> None:
        """Take the profile off ``bay_id`` if it is there (else nothing changes)."""
        with self.write() as db:
            db.execute("UPDATE profiles SET bay = NULL WHERE name = ? AND bay = ?", (name, bay_id))

    def set_profile_group(self, name: str, group: str) -> None:
        with self.write() as db:
            db.execute("UPDATE profiles SET grp = ? WHERE name = ?", (group, name))

    def set_domain_config(self, domain: str, config: DomainConfig) -> None:
        with self.write() as db:
            db.execute("UPDATE domains SET config = ? WHERE name = ?",
                       (json.dumps(config.to_dict()), domain))

    def set_baseline(self, group: str, config: DomainConfig) -> None:
        with self.write() as db:
            db.execute("UPDATE groups SET baseline = ? WHERE name = ?",
                       (json.dumps(config.to_dict()), group))

    def set_policy(self, group: str, policy: Policy) -> None:
        with self.write() as db:
            db.execute("UPDATE groups SET policy = ?, \"window\" = ? WHERE name = ?",
                       (policy.mode, policy.window, group))

    # -- maintenance ------------------------------------------------------------------------
    def maintenance(self, domain: str | None = None) -> list[Maintenance]:
        sql = "SELECT domain, grp, owner, reason, started, expires FROM maintenance"
        rows = self.db.execute(sql + (" WHERE domain = ?" if domain else "") + " ORDER BY domain",
                               (domain,) if domain else ())
        return [Maintenance(*r) for r in rows]

    def start_maintenance(self, m: Maintenance) -> None:
        with self.write() as db:
            # Asked first, under the write lock (a failed INSERT would end a PostgreSQL
            # transaction); the UNIQUE group column still refuses a second one.
            held = db.execute("SELECT domain, owner FROM maintenance WHERE grp = ?",
                              (m.group,)).fetchone()
            if held:
                raise Refused(f"group {m.group} already has domain {held[0]} in maintenance "
                              f"(owner {held[1]})")
            db.execute("INSERT INTO maintenance VALUES (?, ?, ?, ?, ?, ?)",
                       (m.domain, m.group, m.owner, m.reason, m.started, m.expires))

    def renew_maintenance(self, domain: str, expires: float) -> None:
        with self.write() as db:
            db.execute("UPDATE maintenance SET expires = ? WHERE domain = ?", (expires, domain))

    def end_maintenance(self, domain: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM maintenance WHERE domain = ?", (domain,))

