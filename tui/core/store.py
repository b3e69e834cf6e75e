"""The one SQLite file that every bayops process on a host shares.

All SQL lives here, behind methods named for what they do, so the store can later move
to PostgreSQL behind the same interface. WAL mode lets readers run while one writer
writes; every change runs inside ``write()`` (BEGIN IMMEDIATE), so two processes never
interleave half-changes. The schema enforces the invariants a second time: a profile's
bay is UNIQUE, every address is UNIQUE, a spare cannot hold a profile, and the event
log refuses UPDATE and DELETE.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui.model.errors import BadInput, Refused
from tui.core.process import process_alive, process_identity
from tui.model.entities import (
    Bay, Connection, DomainConfig, Event, Job, Maintenance, Policy, Profile, ServerInfo, Step,
)

SCHEMA_VERSION = 1

# Each entry brings the schema from version i to i+1; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE groups(
        name TEXT PRIMARY KEY,
        baseline TEXT NOT NULL,
        policy TEXT NOT NULL CHECK (policy IN ('manual','alert','auto')),
        window TEXT NOT NULL DEFAULT '');
    CREATE TABLE domains(
        name TEXT PRIMARY KEY,
        grp TEXT NOT NULL REFERENCES groups(name),
        config TEXT NOT NULL);
    CREATE TABLE enclosures(
        name TEXT PRIMARY KEY,
        domain TEXT NOT NULL REFERENCES domains(name),
        model TEXT NOT NULL,
        bay_count INTEGER NOT NULL);
    CREATE INDEX domains_group ON domains(grp);
    CREATE INDEX enclosures_domain ON enclosures(domain);
    CREATE TABLE bays(
        id TEXT PRIMARY KEY,
        enclosure TEXT NOT NULL REFERENCES enclosures(name),
        number INTEGER NOT NULL,
        model TEXT, generation TEXT, serial TEXT,
        power TEXT NOT NULL CHECK (power IN ('on','off','unknown')),
        health TEXT NOT NULL CHECK (health IN ('ok','warning','critical','unknown')),
        spare INTEGER NOT NULL DEFAULT 0 CHECK (spare IN (0,1)),
        CHECK (spare = 0 OR model IS NOT NULL),
        UNIQUE (enclosure, number));
    CREATE INDEX bays_spare ON bays(spare) WHERE spare = 1;
    CREATE TABLE profiles(
        name TEXT PRIMARY KEY,
        grp TEXT NOT NULL REFERENCES groups(name),
        serial TEXT NOT NULL UNIQUE,
        boot_mode TEXT NOT NULL CHECK (boot_mode IN ('san','local')),
        san_target TEXT, san_lun INTEGER,
        bay TEXT UNIQUE REFERENCES bays(id));
    CREATE TABLE connections(
        profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('eth','fc')),
        idx INTEGER NOT NULL,
        address TEXT NOT NULL UNIQUE,
        target TEXT NOT NULL,
        PRIMARY KEY (profile, kind, idx));
    CREATE TABLE excluded_addresses(
        kind TEXT NOT NULL CHECK (kind IN ('mac','wwpn','serial')),
        address TEXT NOT NULL,
        PRIMARY KEY (kind, address));
    CREATE TABLE maintenance(
        domain TEXT PRIMARY KEY REFERENCES domains(name),
        grp TEXT NOT NULL UNIQUE REFERENCES groups(name),
        owner TEXT NOT NULL, reason TEXT NOT NULL,
        started REAL NOT NULL, expires REAL NOT NULL);
    CREATE TABLE jobs(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running','done','failed')),
        operator TEXT NOT NULL,
        summary TEXT NOT NULL,
        params TEXT NOT NULL,
        created REAL NOT NULL,
        finished REAL,
        pid INTEGER,
        process TEXT);  -- boot id and start time of pid: a reused PID is not the owner
    CREATE INDEX jobs_running ON jobs(state) WHERE state = 'running';
    CREATE TABLE steps(
        job INTEGER NOT NULL REFERENCES jobs(id),
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running','done','failed')),
        detail TEXT NOT NULL DEFAULT '',
        started REAL NOT NULL,
        finished REAL,
        PRIMARY KEY (job, seq));
    CREATE TABLE locks(
        resource TEXT PRIMARY KEY,
        job INTEGER NOT NULL REFERENCES jobs(id));
    CREATE INDEX locks_job ON locks(job);
    CREATE TABLE events(
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info','warning','critical')),
        source TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
        operator TEXT NOT NULL, job INTEGER);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER spare_holds_no_profile BEFORE UPDATE OF bay ON profiles
        WHEN NEW.bay IS NOT NULL AND (SELECT spare FROM bays WHERE id = NEW.bay) = 1
        BEGIN SELECT RAISE(ABORT, 'a spare bay cannot hold a profile'); END;
    CREATE TRIGGER profiled_bay_is_no_spare BEFORE UPDATE OF spare ON bays
        WHEN NEW.spare = 1 AND EXISTS (SELECT 1 FROM profiles WHERE bay = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'a bay holding a profile cannot be a spare'); END;
    """,
]

_BAY_SELECT = """
    SELECT b.id, b.enclosure, b.number, d.name, d.grp, b.model, b.generation, b.serial,
           b.power, b.health, b.spare, p.name, p.boot_mode, l.job, m.domain IS NOT NULL
    FROM bays b
    JOIN enclosures e ON e.name = b.enclosure
    JOIN domains d ON d.name = e.domain
    LEFT JOIN profiles p ON p.bay = b.id
    LEFT JOIN locks l ON l.resource = 'bay:' || b.id
    LEFT JOIN maintenance m ON m.domain = d.name
"""


def _bay(row: tuple) -> Bay:
    return Bay(id=row[0], enclosure=row[1], number=row[2], domain=row[3], group=row[4],
               model=row[5], generation=row[6], serial=row[7], power=row[8], health=row[9],
               spare=bool(row[10]), profile=row[11], boot_mode=row[12], job_id=row[13],
               maintenance=bool(row[14]))


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"state {self.path}: cannot create its folder: "
                           f"{exc.strerror or exc}") from None
        self._migrate()

    # -- connections and transactions ---------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=15, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:
                if "unable to open" in str(exc):
                    raise BadInput(f"state {self.path}: cannot open it ({exc})") from None
                raise BadInput(f"state {self.path}: not a bayops state database ({exc})") from None
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
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
            raise Refused(f"state {self.path} is busy ({exc}); try again") from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def _migrate(self) -> None:
        db = self.db
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self.write():  # read the version again under the lock: two may start at once
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise BadInput(f"state {self.path}: schema version {version} is newer than "
                               f"this bayops ({SCHEMA_VERSION}); upgrade bayops")
            while version < SCHEMA_VERSION:
                # executescript would COMMIT our transaction; run statement by statement.
                for statement in _statements(MIGRATIONS[version]):
                    db.execute(statement)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")

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
            db.execute("INSERT INTO enclosures VALUES (?, ?, ?, ?)", (name, domain, model, bays))
            db.executemany(
                "INSERT INTO bays (id, enclosure, number, model, generation, serial, power, health)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"{name}/{n}", name, n,
                  s.model if s else None, s.generation if s else None, s.serial if s else None,
                  s.power if s else "off", s.health if s else "ok")
                 for n, s in ((n, servers.get(n)) for n in range(1, bays + 1))])

    def add_profile(self, profile: Profile) -> None:
        with self.write() as db:
            db.execute("INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (profile.name, profile.group, profile.serial, profile.boot_mode,
                        profile.san_target, profile.san_lun, profile.bay))
            db.executemany("INSERT INTO connections VALUES (?, ?, ?, ?, ?)",
                           [(profile.name, c.kind, c.index, c.address, c.target)
                            for c in profile.connections])

    def delete_profile(self, name: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM profiles WHERE name = ?", (name,))

    # -- reading the fleet ----------------------------------------------------------------
    def group_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM groups ORDER BY name")]

    def group_row(self, name: str) -> tuple[DomainConfig, Policy] | None:
        row = self.db.execute("SELECT baseline, policy, window FROM groups WHERE name = ?",
                              (name,)).fetchone()
        if row is None:
            return None
        return DomainConfig.from_dict(json.loads(row[0])), Policy(row[1], row[2])

    def domains(self, group: str | None = None) -> list[tuple[str, str, DomainConfig]]:
        sql = "SELECT name, grp, config FROM domains"
        args: tuple = ()
        if group is not None:
            sql += " WHERE grp = ?"
            args = (group,)
        return [(r[0], r[1], DomainConfig.from_dict(json.loads(r[2])))
                for r in self.db.execute(sql + " ORDER BY name", args)]

    def domain_group(self, domain: str) -> str | None:
        row = self.db.execute("SELECT grp FROM domains WHERE name = ?", (domain,)).fetchone()
        return row[0] if row else None

    def enclosures(self, domain: str | None = None) -> list[tuple[str, str, str, int]]:
        sql = "SELECT name, domain, model, bay_count FROM enclosures"
        args: tuple = ()
        if domain is not None:
            sql += " WHERE domain = ?"
            args = (domain,)
        return list(self.db.execute(sql + " ORDER BY name", args))

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
        return [_bay(r) for r in self.db.execute(sql + " ORDER BY b.enclosure, b.number", args)]

    def bay(self, bay_id: str) -> Bay | None:
        row = self.db.execute(_BAY_SELECT + " WHERE b.id = ?", (bay_id,)).fetchone()
        return _bay(row) if row else None

    def profile(self, name: str) -> Profile | None:
        row = self.db.execute(
            "SELECT p.name, p.grp, p.serial, p.boot_mode, p.san_target, p.san_lun, p.bay, l.job"
            " FROM profiles p LEFT JOIN locks l ON l.resource = 'profile:' || p.name"
            " WHERE p.name = ?", (name,)).fetchone()
        if row is None:
            return None
        conns = tuple(Connection(*c) for c in self.db.execute(
            "SELECT kind, idx, address, target FROM connections WHERE profile = ?"
            " ORDER BY kind DESC, idx", (name,)))
        return Profile(row[0], row[1], row[2], row[3], row[4], row[5], conns, row[6], row[7])

    def profiles(self, group: str | None = None) -> list[Profile]:
        sql = "SELECT name FROM profiles" + (" WHERE grp = ?" if group else "") + " ORDER BY name"
        return [p for (name,) in self.db.execute(sql, (group,) if group else ())
                if (p := self.profile(name)) is not None]

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
            db.execute("INSERT OR IGNORE INTO excluded_addresses VALUES (?, ?)", (kind, address))

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

    def counts(self, group: str | None = None) -> dict[str, dict[str, int]]:
        """Per-group figures for status, in one pass."""
        out: dict[str, dict[str, int]] = {}
        where = "WHERE d.grp = ?" if group else ""
        for row in self.db.execute(f"""
            SELECT d.grp, COUNT(*), COUNT(b.model), COUNT(p.name),
                   SUM(b.health = 'critical' AND b.model IS NOT NULL),
                   SUM(b.health = 'warning' AND b.model IS NOT NULL),
                   SUM(b.spare),
                   SUM(b.spare AND b.health = 'ok' AND b.power = 'off' AND l.job IS NULL)
            FROM bays b JOIN enclosures e ON e.name = b.enclosure
            JOIN domains d ON d.name = e.domain
            LEFT JOIN profiles p ON p.bay = b.id
            LEFT JOIN locks l ON l.resource = 'bay:' || b.id
            {where} GROUP BY d.grp""", (group,) if group else ()):
            out[row[0]] = dict(zip(("bays", "servers", "profiles", "critical", "warning",
                                    "spares", "spares_ready"), (int(v or 0) for v in row[1:])))
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

    def set_spare(self, bay_id: str, spare: bool) -> None:
        with self.write() as db:
            db.execute("UPDATE bays SET spare = ? WHERE id = ?", (int(spare), bay_id))

    def assign_profile(self, name: str, bay_id: str | None) -> None:
        with self.write() as db:
            db.execute("UPDATE profiles SET bay = ? WHERE name = ?", (bay_id, name))

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
            db.execute("UPDATE groups SET policy = ?, window = ? WHERE name = ?",
                       (policy.mode, policy.window, group))

    # -- maintenance ------------------------------------------------------------------------
    def maintenance(self, domain: str | None = None) -> list[Maintenance]:
        sql = "SELECT domain, grp, owner, reason, started, expires FROM maintenance"
        rows = self.db.execute(sql + (" WHERE domain = ?" if domain else "") + " ORDER BY domain",
                               (domain,) if domain else ())
        return [Maintenance(*r) for r in rows]

    def start_maintenance(self, m: Maintenance) -> None:
        with self.write() as db:
            try:
                db.execute("INSERT INTO maintenance VALUES (?, ?, ?, ?, ?, ?)",
                           (m.domain, m.group, m.owner, m.reason, m.started, m.expires))
            except sqlite3.IntegrityError:
                held = db.execute("SELECT domain, owner FROM maintenance WHERE grp = ?",
                                  (m.group,)).fetchone()
                raise Refused(f"group {m.group} already has domain {held[0]} in maintenance "
                              f"(owner {held[1]})") from None

    def renew_maintenance(self, domain: str, expires: float) -> None:
        with self.write() as db:
            db.execute("UPDATE maintenance SET expires = ? WHERE domain = ?", (expires, domain))

    def mark_once(self, key: str) -> bool:
        """True for the one caller, across all processes, that marks ``key`` first."""
        with self.write() as db:
            return db.execute("INSERT OR IGNORE INTO meta VALUES (?, '1')", (key,)).rowcount == 1

    def end_maintenance(self, domain: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM maintenance WHERE domain = ?", (domain,))

    # -- jobs, steps and locks ----------------------------------------------------------------
    def create_job(self, kind: str, operator: str, summary: str, params: dict[str, Any],
                   locks: list[str]) -> int:
        """Insert a running job holding ``locks``; Refused if another job holds one."""
        with self.write() as db:
            held = self._held(db, locks)
            if held:
                raise Refused(f"{held[0]} is held by job {held[1]}")
            cur = db.execute(
                "INSERT INTO jobs (kind, state, operator, summary, params, created, pid, process)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                (kind, operator, summary, json.dumps(params), time.time(), os.getpid(),
                 process_identity()))
            job_id = int(cur.lastrowid)
            db.executemany("INSERT INTO locks VALUES (?, ?)", [(r, job_id) for r in locks])
            return job_id

    @staticmethod
    def _held(db: sqlite3.Connection, resources: list[str]) -> tuple[str, int] | None:
        for resource in resources:
            row = db.execute("SELECT job FROM locks WHERE resource = ?", (resource,)).fetchone()
            if row:
                return resource.replace(":", " ", 1), row[0]
        return None

    def lock_holder(self, resource: str) -> int | None:
        row = self.db.execute("SELECT job FROM locks WHERE resource = ?", (resource,)).fetchone()
        return row[0] if row else None

    def add_locks(self, job_id: int, resources: list[str]) -> None:
        with self.write() as db:
            held = self._held(db, [r for r in resources
                                   if self.lock_holder(r) not in (None, job_id)])
            if held:
                raise Refused(f"{held[0]} is held by job {held[1]}")
            db.executemany("INSERT OR IGNORE INTO locks VALUES (?, ?)",
                           [(r, job_id) for r in resources])

    def set_job_params(self, job_id: int, params: dict[str, Any]) -> None:
        with self.write() as db:
            db.execute("UPDATE jobs SET params = ? WHERE id = ?", (json.dumps(params), job_id))

    def finish_job(self, job_id: int, state: str) -> None:
        with self.write() as db:
            db.execute("UPDATE jobs SET state = ?, finished = ? WHERE id = ?",
                       (state, time.time(), job_id))
            db.execute("DELETE FROM locks WHERE job = ?", (job_id,))

    def claim_job(self, job_id: int, old_pid: int | None) -> bool:
        """Take over an interrupted job; False if another process got there first."""
        with self.write() as db:
            cur = db.execute("UPDATE jobs SET pid = ?, process = ? WHERE id = ? AND state = 'running'"
                             " AND pid IS ?", (os.getpid(), process_identity(), job_id, old_pid))
            return cur.rowcount == 1

    def job_owners(self) -> dict[int, tuple[int | None, str | None]]:
        """Running job -> (pid, process identity) of the process running it."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT id, pid, process FROM jobs WHERE state = 'running'")}

    def start_step(self, job_id: int, name: str, detail: str = "") -> int:
        with self.write() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE job = ?",
                             (job_id,)).fetchone()[0]
            db.execute("INSERT INTO steps VALUES (?, ?, ?, 'running', ?, ?, NULL)",
                       (job_id, seq, name, detail, time.time()))
            return int(seq)

    def finish_step(self, job_id: int, seq: int, state: str, detail: str) -> None:
        with self.write() as db:
            db.execute("UPDATE steps SET state = ?, detail = ?, finished = ? WHERE job = ? AND seq = ?",
                       (state, detail, time.time(), job_id, seq))

    def jobs(self, limit: int = 200, running_only: bool = False) -> list[Job]:
        sql = ("SELECT id, kind, state, operator, summary, params, created, finished, pid FROM jobs"
               + (" WHERE state = 'running'" if running_only else "") + " ORDER BY id DESC LIMIT ?")
        jobs = [Job(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8])
                for r in self.db.execute(sql, (limit,))]
        if not jobs:
            return []
        steps: dict[int, list[Step]] = {}
        ids = [j.id for j in jobs]
        for r in self.db.execute(f"SELECT job, seq, name, state, detail, started, finished FROM steps"
                                 f" WHERE job IN ({','.join('?' * len(ids))}) ORDER BY job, seq", ids):
            steps.setdefault(r[0], []).append(Step(*r[1:]))
        return [Job(**{**j.__dict__, "steps": tuple(steps.get(j.id, ()))}) for j in jobs]

    def job(self, job_id: int) -> Job | None:
        row = self.db.execute(
            "SELECT id, kind, state, operator, summary, params, created, finished, pid"
            " FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        steps = tuple(Step(*r) for r in self.db.execute(
            "SELECT seq, name, state, detail, started, finished FROM steps WHERE job = ?"
            " ORDER BY seq", (job_id,)))
        return Job(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7],
                   row[8], steps)

    # -- events ----------------------------------------------------------------------------
    def add_event(self, severity: str, source: str, kind: str, message: str, operator: str,
                  job_id: int | None = None) -> int:
        with self.write() as db:
            cur = db.execute(
                "INSERT INTO events (ts, severity, source, kind, message, operator, job)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), severity, source, kind, message, operator, job_id))
            return int(cur.lastrowid)

    def events(self, since: int = 0, limit: int | None = None) -> list[Event]:
        if limit is None:
            rows = self.db.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq", (since,))
        else:  # the newest ``limit`` events, oldest first
            rows = reversed(self.db.execute(
                "SELECT * FROM events WHERE seq > ? ORDER BY seq DESC LIMIT ?",
                (since, limit)).fetchall())
        return [Event(*r) for r in rows]

    def claim_events(self, cursor: str) -> list[Event]:
        """Events after the shared cursor ``cursor``, which then moves past them: every
        event is handed to exactly one claimant across all processes."""
        with self.write() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (cursor,)).fetchone()
            start = int(row[0]) if row else self.last_event_seq()
            events = self.events(start)
            end = events[-1].seq if events else start
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                       (cursor, str(end), str(end)))
        return events

    def last_event_seq(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

    # -- whole-store dump (tests compare before/after) -------------------------------------
    def dump(self) -> dict[str, list[tuple]]:
        tables = [r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]
        return {t: self.db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL in migration: {buffer[:60]!r}")
