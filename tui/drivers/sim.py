"""The embedded simulator: the default driver, no setup.

Its "hardware" lives in ``sim_*`` tables of the same SQLite file as the core's state,
so every bayops process on the host sees one fleet: ``bayops sim fail`` in one shell
is seen by the dashboard in another. Latencies default to seconds, like real BMCs;
tests set them to zero.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from tui.drivers.sim_upkeep import SimUpkeep, credentials_read
from tui.model.driver import (
    ApplyReport,
    BayInventory,
    DriverError,
    HardwareEvent,
    NoAnswer,
    Reading,
)
from tui.model.entities import DomainConfig, Profile, ServerInfo
from tui.model.errors import BadInput
from tui.model.text import quoted

SCAN_OVER = 500  # a read or inventory of more bays is one scan: it beats thousands of lookups
FAULT_KINDS = ("critical", "cpu-threshold", "memory-errors", "no-answer", "power-stuck",
               "wont-power-on", "boot-refused")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sim_hw(
        bay TEXT PRIMARY KEY, model TEXT, generation TEXT, serial TEXT,
        power TEXT NOT NULL, health TEXT NOT NULL, fault TEXT, profile TEXT,
        fenced INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS sim_events(
        seq INTEGER PRIMARY KEY AUTOINCREMENT, bay TEXT NOT NULL, kind TEXT NOT NULL,
        severity TEXT NOT NULL, message TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sim_domains(domain TEXT PRIMARY KEY, config TEXT NOT NULL)""",
    # One cursor for all processes: each hardware event is consumed by exactly one monitor.
    """CREATE TABLE IF NOT EXISTS sim_cursor(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER)""",
    """INSERT OR IGNORE INTO sim_cursor SELECT 1, COALESCE(MAX(seq), 0) FROM sim_events""",
    # Domain maintenance: the firmware a component runs when it differs from what its
    # domain was configured with, and faults of components and uplink ports.
    """CREATE TABLE IF NOT EXISTS sim_firmware(
        component TEXT PRIMARY KEY, domain TEXT NOT NULL, version TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sim_part_faults(part TEXT PRIMARY KEY, kind TEXT NOT NULL)""",
    # Counts of the changes to what a sweep reads (``hardware_version``), by any process
    # (bench/bay_writer.py writes sim_hw itself): an idle sweep of 64,000 bays reads nothing.
    """CREATE TABLE IF NOT EXISTS sim_version(part TEXT PRIMARY KEY, n INTEGER NOT NULL)""",
    """INSERT OR IGNORE INTO sim_version VALUES ('readings', 0), ('ports', 0)""",
    *(f"""CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_counted AFTER {event} ON {table}
        BEGIN UPDATE sim_version SET n = n + 1 WHERE part = '{part}'; END"""
      for table, part in (("sim_hw", "readings"), ("sim_domains", "ports"),
                          ("sim_part_faults", "ports"))
      for event in ("INSERT", "UPDATE", "DELETE")),
)

# What each injected fault looks like to a health sweep and to the event stream.
_FAULT_EFFECT = {
    "critical": ("critical", "critical", "server failed: system board critical"),
    "cpu-threshold": ("warning", "warning", "pre-failure: CPU correctable error threshold crossed"),
    "memory-errors": ("warning", "warning", "pre-failure: correctable memory error storm"),
    "no-answer": (None, "critical", "management processor stopped answering"),
    "power-stuck": (None, "warning", "power controller fault reported"),
    "wont-power-on": (None, "warning", "power-on self test fault reported"),
    "boot-refused": (None, "warning", "boot configuration locked: boot override writes refused"),
}


class SimDriver(SimUpkeep):
    name = "sim"

    def __init__(self, path: Path, latency: dict[str, float],
                 read_only: Callable[[], sqlite3.Connection] | None = None):
        """``read_only``: opens the state read-only (`--read-only`, read-only media); the
        simulator then writes nothing, not even its tables (a writer made them)."""
        self.path = Path(path)
        self.latency = dict(latency)
        self._local = threading.local()
        self._read_only = read_only
        if read_only is None:
            with self._write() as db:
                for statement in _SCHEMA:
                    db.execute(statement)

    # -- plumbing ------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._read_only is not None:
                conn = self._read_only()
            else:
                conn = sqlite3.connect(self.path, timeout=15, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    class _Tx:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _write(self) -> SimDriver._Tx:
        return SimDriver._Tx(self._db)

    def _wait(self, operation: str) -> None:
        seconds = self.latency.get(operation, 0.0)
        if seconds > 0:
            time.sleep(seconds)

    def _answering(self, bay: str) -> tuple[str, str, str | None, int]:
        """The bay's hardware row; NoAnswer if its management processor is silent."""
        row = self._hw(bay)
        if row[2] == "no-answer":
            raise NoAnswer(f"{bay}: management processor does not answer")
        return row

    def _hw(self, bay: str) -> tuple[str, str, str | None, int]:
        row = self._db.execute("SELECT power, health, fault, fenced FROM sim_hw WHERE bay = ?",
                               (bay,)).fetchone()
        if row is None:
            raise DriverError(f"{bay}: no server in this bay")
        return row

    def _set(self, bay: str, **columns: object) -> None:
        names = ", ".join(f"{k} = ?" for k in columns)
        with self._write() as db:
            db.execute(f"UPDATE sim_hw SET {names} WHERE bay = ?", (*columns.values(), bay))

    def _emit(self, db: sqlite3.Connection, bay: str, kind: str, severity: str, message: str) -> None:
        db.execute("INSERT INTO sim_events (bay, kind, severity, message) VALUES (?, ?, ?, ?)",
                   (bay, kind, severity, message))

    # -- racking servers (the simulator's stand-in for real hardware) ---------------------
    def install(self, servers: dict[str, tuple[ServerInfo | None, str | None]],
                domains: dict[str, DomainConfig] | None = None) -> None:
        """Put servers (and the profiles VC has applied to them) into bays, and the domains'
        Virtual Connect Managers configured."""
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO sim_domains VALUES (?, ?)",
                           [(d, json.dumps(c.to_dict())) for d, c in (domains or {}).items()])
            db.executemany(
                "INSERT OR REPLACE INTO sim_hw VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 0)",
                [(bay, s.model, s.generation, s.serial, s.power, s.health, profile)
                 for bay, (s, profile) in servers.items() if s is not None])

    def insert(self, bay: str, server: ServerInfo) -> None:
        """A blade into the bay (replacing any: a swap); it arrives off, with no profile."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO sim_hw VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 0)",
                       (bay, server.model, server.generation, server.serial, server.power,
                        server.health))

    def remove(self, bay: str) -> None:
        self._hw(bay)  # DriverError when the bay is already empty
        with self._write() as db:
            db.execute("DELETE FROM sim_hw WHERE bay = ?", (bay,))

    # -- the Driver protocol ----------------------------------------------------------------
    def discover(self, bays: list[str]) -> dict[str, ServerInfo | None]:
        found = {r[0]: ServerInfo(r[1], r[2], r[3], r[4], r[5]) for r in self._db.execute(
            "SELECT bay, model, generation, serial, power, health FROM sim_hw")}
        return {bay: found.get(bay) for bay in bays}

    def inventory(self, bays: list[str]) -> dict[str, BayInventory]:
        """Bay by bay, as a real enclosure answers: a silent management processor is that
        bay's error only."""
        sql = "SELECT bay, model, generation, serial, power, health, fault FROM sim_hw"
        if len(bays) > SCAN_OVER:  # a slice of the monitor's rediscovery of the fleet:
            # one scan of the ids it spans (the fleet's order keeps a slice's ids close)
            rows = {r[0]: r[1:] for r in self._db.execute(
                sql + " WHERE bay BETWEEN ? AND ?", (min(bays), max(bays)))}
        else:
            rows = {r[0]: r[1:] for bay in bays
                    for r in self._db.execute(sql + " WHERE bay = ?", (bay,))}
        out = {}
        for bay in bays:
            row = rows.get(bay)
            if row is None:
                out[bay] = BayInventory(None)
            elif row[5] == "no-answer":
                out[bay] = BayInventory(None, f"{bay}: management processor does not answer")
            else:
                out[bay] = BayInventory(ServerInfo(*row[:5]))
        return out

    def hardware_version(self, part: str) -> int | None:
        """Changes whenever a reading or an uplink port may have (``sim_version``)."""
        try:
            row = self._db.execute("SELECT n FROM sim_version WHERE part = ?", (part,)).fetchone()
        except sqlite3.OperationalError:  # a read-only state its writer made before the table
            return None
        return None if row is None else int(row[0])

    def read(self, bays: list[str]) -> dict[str, Reading]:
        if len(bays) > SCAN_OVER:
            rows = self._db.execute("SELECT bay, power, health, fault FROM sim_hw")
        else:
            rows = self._db.execute(f"SELECT bay, power, health, fault FROM sim_hw WHERE bay IN "
                                    f"({','.join('?' * len(bays))})", bays)
        # One Reading per distinct state, not a row kept per bay, keyed by the caller's own
        # id strings: a sweep of 64,000 bays repeats few readings and holds no other copy
        wanted = {bay: bay for bay in bays}
        seen: dict[tuple[str, str, str | None], Reading] = {}
        out: dict[str, Reading] = {}
        for row in rows:
            bay = wanted.get(row[0])
            if bay is None:
                continue
            reading = seen.get(state := row[1:])
            if reading is None:
                power, health, fault = state
                reading = seen[state] = (
                    Reading("unknown", "unknown", "management processor does not answer")
                    if fault == "no-answer" else Reading(power, health, fault or ""))
            out[bay] = reading
        return out

    def power_off(self, bay: str, graceful_deadline: float) -> str:
        power, health, fault, _ = self._answering(bay)
        self._wait("power_off")
        if fault == "power-stuck":
            raise DriverError(f"{bay}: power stayed on after graceful shutdown and force off")
        if power == "off":
            return "already off"
        self._set(bay, power="off")
        # A failed OS does not answer the ACPI shutdown request; real hardware then waits out
        # the deadline before forcing it, the simulator only its power_off latency.
        return (f"forced off: the failed OS did not answer the graceful shutdown (hardware waits "
                f"the {graceful_deadline:.0f} s graceful deadline; the simulator does not)") \
            if health == "critical" else "graceful shutdown"

    def fence(self, bay: str) -> str:
        self._hw(bay)
        self._wait("power_off")
        self._set(bay, power="off", fenced=1)
        return ("fenced through the enclosure, not the server: Onboard Administrator removed "
                "power from the bay (e-fuse reset) and Virtual Connect disabled the bay's "
                "Ethernet and FC downlinks, so its MACs and WWPNs cannot be on the wire")

    def power_on(self, bay: str) -> None:
        _, _, fault, _ = self._answering(bay)
        self._wait("power_on")
        if fault == "wont-power-on":
            raise DriverError(f"{bay}: did not power on (power-on self test fault)")
        self._set(bay, power="on")

    def apply_profile(self, bay: str, profile: Profile) -> ApplyReport:
        _, _, fault, _ = self._answering(bay)  # NoAnswer when the management processor is silent
        self._wait("apply_profile")
        self._set(bay, profile=profile.name)
        eth = [c for c in profile.connections if c.kind == "eth"]
        fc = [c for c in profile.connections if c.kind == "fc"]
        applied = [f"serial {profile.serial}", f"{len(eth)} MAC(s)", f"{len(fc)} WWPN(s)"]
        boot = (f"boot from SAN {profile.san_target} LUN {profile.san_lun}"
                if profile.boot_mode == "san" else "boot from local disk")
        if fault == "boot-refused":
            refused = f"{boot} (boot configuration locked: the write was refused)"
            if profile.boot_mode == "san":
                return ApplyReport(tuple(applied), failed=(refused,))
            return ApplyReport(tuple(applied), not_applied=(refused,))
        applied.append(boot)
        return ApplyReport(tuple(applied))

    def clear_profile(self, bay: str, profile: str) -> None:
        # Virtual Connect removes a profile at the interconnect, so this works even when the
        # server's own management processor does not answer.
        self._hw(bay)
        held = self._db.execute("SELECT profile FROM sim_hw WHERE bay = ?", (bay,)).fetchone()[0]
        if held not in (None, profile):
            raise DriverError(f"{bay}: Virtual Connect shows profile {held}, not {profile}: "
                              "left as it is")
        self._wait("clear_profile")
        self._set(bay, profile=None)

    def apply_domain_config(self, domain: str, config: DomainConfig) -> str:
        self._wait("domain_config")
        logins = [fabric for fabric, settings in sorted(config.storage.items())
                  if credentials_read(domain, fabric, settings.get("credentials"))]
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO sim_domains VALUES (?, ?)",
                       (domain, json.dumps(self._keeping_firmware(domain, config.to_dict()))))
        return (f"Virtual Connect Manager of {domain} took {len(config.networks)} networks, "
                f"{len(config.fabrics)} fabrics, {len(config.users)} local users"
                + (f", storage credentials for {', '.join(logins)}" if logins else ""))

    def events(self) -> list[HardwareEvent]:
        if self._read_only is not None:
            return []  # consuming moves the shared cursor: a writing monitor's to do
        with self._write() as db:
            cursor = db.execute("SELECT seq FROM sim_cursor WHERE id = 1").fetchone()[0]
            rows = db.execute("SELECT seq, bay, kind, severity, message FROM sim_events"
                              " WHERE seq > ? ORDER BY seq", (cursor,)).fetchall()
            if rows:
                db.execute("UPDATE sim_cursor SET seq = ? WHERE id = 1", (rows[-1][0],))
        return [HardwareEvent(r[1], r[2], r[3], r[4]) for r in rows]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- fault injection (sim only) ---------------------------------------------------------
    def inject(self, bay: str, kind: str) -> str:
        if kind not in FAULT_KINDS:
            raise BadInput(f"fault kind {quoted(kind)} is not one of {', '.join(FAULT_KINDS)}")
        self._hw(bay)
        health, severity, message = _FAULT_EFFECT[kind]
        with self._write() as db:
            if health is None:
                db.execute("UPDATE sim_hw SET fault = ? WHERE bay = ?", (kind, bay))
            else:
                db.execute("UPDATE sim_hw SET fault = ?, health = ? WHERE bay = ?",
                           (kind, health, bay))
            self._emit(db, bay, kind, severity, f"{bay}: {message}")
        return message

    def heal(self, bay: str) -> None:
        self._hw(bay)
        with self._write() as db:
            db.execute("UPDATE sim_hw SET fault = NULL, health = 'ok', fenced = 0 WHERE bay = ?",
                       (bay,))
            self._emit(db, bay, "healed", "info", f"{bay}: fault cleared, health ok")

    def bay_state(self, bay: str) -> tuple[str | None, str, bool] | None:
        row = self._db.execute("SELECT fault, health, fenced FROM sim_hw WHERE bay = ?",
                               (bay,)).fetchone()
        return None if row is None else (row[0], row[1], bool(row[2]))

    def prune_consumed(self) -> int:
        """Delete the hardware events at or below the shared cursor: every monitor has
        consumed them (the event log keeps what they led to). AUTOINCREMENT never reuses
        a pruned seq, so the cursor stays valid."""
        with self._write() as db:
            return db.execute("DELETE FROM sim_events WHERE seq <= (SELECT seq FROM sim_cursor"
                              " WHERE id = 1)").rowcount

    def applied_profiles(self) -> dict[str, str]:
        """Bay -> profile as the hardware holds them (tests check it against the store)."""
        return {r[0]: r[1] for r in self._db.execute(
            "SELECT bay, profile FROM sim_hw WHERE profile IS NOT NULL")}

