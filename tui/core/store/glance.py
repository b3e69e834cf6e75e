"""The fleet at a glance in one read: every figure `bayops status` prints, as plain values.

No model class is made (`bayops status` pays for what it imports: issue 22): rows become
dicts. Two rules live here as well as in Python over ``Bay``s, and tests/test_glance.py
checks each pair on generated fleets, on both stores:

- ``SPARE_READY``: ``Bay.unready_reason() is None`` in SQL (also ``FleetTables.counts``).
- ``_covers``: ``ops/coverage.sweep`` (the loss of each enclosure, counted) over rows.

Any connection of the store serves (``store.db``, or a read-only sqlite3 connection).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

from tui.core.process import process_alive
from tui.model.errors import BayopsError

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

# `Bay.unready_reason() is None` in SQL, over the aliases of BAY_JOINS (b, e, d, p,
# l, m, dl): the spare counts (status, the empty-pool warning, metrics) must agree with
# the failover's choice.
SPARE_READY = ("b.flag IS NULL AND e.drained_job IS NULL AND l.job IS NULL AND m.domain IS NULL"
               " AND dl.job IS NULL AND b.health = 'ok' AND b.power = 'off' AND p.name IS NULL")
# A bay with its enclosure, domain, profile, job lock, the domain's maintenance and the
# job holding the domain: the aliases SPARE_READY and every bay query (here and
# store/fleet.py) read.
BAY_JOINS = """FROM bays b
    JOIN enclosures e ON e.name = b.enclosure
    JOIN domains d ON d.name = e.domain
    LEFT JOIN profiles p ON p.bay = b.id
    LEFT JOIN locks l ON l.resource = 'bay:' || b.id
    LEFT JOIN maintenance m ON m.domain = d.name
    LEFT JOIN locks dl ON dl.resource = 'domain:' || d.name"""

# One row per bay, in the fleet's order (the store's, as FleetView has it): where it is,
# what it holds, and the two answers the figures need (a ready spare; a profile that a
# failover would move: coverage's ``_no_failover`` is None).
_BAYS = f"""
    SELECT d.grp, d.name, b.enclosure, b.id, b.model, b.generation, b.health, b.spare, p.name,
           CASE WHEN b.spare = 1 AND {SPARE_READY} THEN 1 ELSE 0 END,
           CASE WHEN p.boot_mode = 'san' AND m.domain IS NULL AND l.job IS NULL THEN 1 ELSE 0 END
    {BAY_JOINS}
    ORDER BY b.enclosure, b.number"""

JOBS_READ = 200  # FleetView's running jobs: JobTables.jobs' default limit


def cover_badge(short: list[str]) -> tuple[str, bool]:
    """The groups pane's words for the models short when an enclosure is lost: 'covers 1
    enc', else 'no cover for Gen9' (the generation of the first model short)."""
    if not short:
        return "covers 1 enc", True
    generation = re.search(r"\bGen\d+\b", short[0])
    return "no cover for " + (generation.group(0) if generation else short[0]), False


def open_glance(path: Path, driver: str, schema: int) -> dict[str, Any] | None:
    """``glance`` of the SQLite state at ``path``, read-only in one snapshot, when opening
    the store would do nothing first; None when it would: no such file, another
    program's, a migration due (its version is not ``schema``: this install's
    SCHEMA_VERSION, which the caller had recorded (configpath.vouch) rather than import
    the migrations and the dataclasses they render with), the fleet still to be built or
    made with another driver, file modes to warn about, an interrupted job to resume (the
    caller opens it then)."""
    from tui.core.store.statefile import APPLICATION_ID, mode_warnings, read_only_uri

    try:
        if not path.is_file() or mode_warnings(path):
            return None
        db = sqlite3.connect(read_only_uri(path), uri=True, isolation_level=None)
        try:
            db.execute("BEGIN")  # one snapshot, whatever commits meanwhile
            mark = (db.execute("PRAGMA application_id").fetchone()[0],
                    db.execute("PRAGMA user_version").fetchone()[0])
            if mark != (APPLICATION_ID, schema):
                return None
            meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('created', 'driver')"))
            if "created" not in meta or meta.get("driver") != driver:
                return None
            figures = glance(db)
        finally:
            db.close()
    except (sqlite3.Error, OSError, BayopsError):  # the long way says what is wrong
        return None
    return None if figures["interrupted"] else figures


def glance(db: Any) -> dict[str, Any]:
    """The fleet's figures: ``groups`` (each with its ``domains``, each with its
    ``enclosures`` and ``maintenance`` row), ``drained`` enclosures with the profiles still
    on them, and ``interrupted``: how many of the unfinished jobs no process runs (a start
    resumes them, so the caller takes the long way)."""
    groups = {name: _group(name, policy, window, baseline)
              for name, baseline, policy, window in db.execute(
                  'SELECT name, baseline, policy, "window" FROM groups ORDER BY name')}
    maintenance = {r[0]: dict(zip(("domain", "group", "owner", "reason", "started", "expires"), r,
                                  strict=True))
                   for r in db.execute("SELECT domain, grp, owner, reason, started, expires"
                                       " FROM maintenance ORDER BY domain")}
    domains: dict[str, dict[str, Any]] = {}
    for name, group, config in db.execute("SELECT name, grp, config FROM domains ORDER BY name"):
        g = groups[group]
        domains[name] = d = {"name": name, "bays": 0, "critical": 0, "warning": 0, "spares": 0,
                             # stored by DomainConfig.to_dict on both sides: equal dicts
                             # are equal configs
                             "drifted": json.loads(config) != g["_baseline"],
                             "maintenance": maintenance.get(name), "enclosures": []}
        g["domains"].append(d)
    enclosures: dict[str, dict[str, Any]] = {}
    drained = []
    for name, domain, model, bay_count, drained_job in db.execute(
            "SELECT name, domain, model, bay_count, drained_job FROM enclosures ORDER BY name"):
        enclosures[name] = e = {"name": name, "model": model, "bays": bay_count, "servers": 0,
                                "critical": 0, "warning": 0}
        domains[domain]["enclosures"].append(e)
        if drained_job is not None:
            drained.append({"enclosure": name, "domain": domain, "job": drained_job, "live": []})
    live = {d["enclosure"]: d["live"] for d in drained}
    rows = db.execute(_BAYS).fetchall()
    for row in rows:
        group, domain, enclosure, bay, profile = row[0], row[1], row[2], row[3], row[8]
        _count(groups[group], domains[domain], enclosures[enclosure], row)
        if profile is not None and enclosure in live:
            live[enclosure].append({"bay": bay, "profile": profile})
    for name, short in _covers(rows).items():
        groups[name]["coverage"], groups[name]["covers_one_enclosure"] = cover_badge(short)
    interrupted = 0
    for pid, process, params in db.execute(
            "SELECT pid, process, params FROM jobs WHERE state = 'running' ORDER BY id DESC"
            f" LIMIT {JOBS_READ}"):
        # JobTables.job_owners' rule for a process leading no lease and running no job:
        # one of its own, or of a process gone, is interrupted
        interrupted += pid == os.getpid() or not process_alive(pid, process)
        group = str(json.loads(params).get("group", ""))
        if group in groups:  # unfinished, as the view counts them
            groups[group]["running_jobs"] += 1
    for g in groups.values():
        del g["_baseline"]
    return {"groups": list(groups.values()), "drained": drained, "interrupted": interrupted}


def _group(name: str, policy: str, window: str, baseline: str) -> dict[str, Any]:
    return {"name": name, "policy": policy, "window": window, "bays": 0, "servers": 0,
            "profiles": 0, "critical": 0, "warning": 0, "spares": 0, "spares_ready": 0,
            "running_jobs": 0, "coverage": "", "covers_one_enclosure": True,  # no bay: no badge
            "domains": [], "_baseline": json.loads(baseline)}


def _count(g: dict[str, Any], d: dict[str, Any], e: dict[str, Any], row: tuple[Any, ...]) -> None:
    """One bay's part of its group's, domain's and enclosure's figures (FleetView's
    ``figures``: an empty bay counts as a bay, nothing else)."""
    _, _, _, _, model, _, health, spare, profile, ready, _ = row
    g["bays"] += 1
    d["bays"] += 1
    if model is None:
        return
    critical, warning = health == "critical", health == "warning"
    for figures in (g, d, e):
        figures["critical"] += critical
        figures["warning"] += warning
    g["servers"] += 1
    e["servers"] += 1
    g["profiles"] += profile is not None
    g["spares"] += bool(spare)
    d["spares"] += bool(spare)
    g["spares_ready"] += bool(spare) and bool(ready)


def _covers(rows: list[tuple[Any, ...]]) -> dict[str, list[str]]:
    """Per group, the models short when one of its enclosures is lost, in the fleet's
    order: ``coverage.sweep`` counted over glance rows (a ready spare of the profile's
    model and generation outside the lost enclosure takes each profile a failover moves)."""
    ready: dict[tuple[str, Any, Any], int] = {}
    lost: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        lost.setdefault(row[2], []).append(row)
        if row[9]:
            key = (row[0], row[4], row[5])
            ready[key] = ready.get(key, 0) + 1
    short: dict[str, list[str]] = {}
    for bays in lost.values():
        left = dict(ready)
        for group, _, _, _, model, generation, _, _, _, is_ready, _ in bays:
            if is_ready:
                left[(group, model, generation)] -= 1
        missing: dict[str, None] = {}
        for group, _, _, _, model, generation, _, _, profile, _, movable in bays:
            if profile is None or not movable:
                continue
            if left.get((group, model, generation), 0) > 0:
                left[(group, model, generation)] -= 1
            else:
                missing[model or "?"] = None
        short.setdefault(bays[0][0], []).extend(missing)
    return short
