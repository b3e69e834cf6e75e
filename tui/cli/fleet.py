"""`bayops status` and `bayops bays`: the fleet at a glance."""
from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from tui.cli.output import emit, table
from tui.cli.parsing import command
from tui.humanize import duration
from tui.model.errors import BadInput
from tui.model.text import printable, quoted

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client
    from tui.model.entities import Bay


def register(sub: Subparsers) -> None:
    c = command(sub, "status", "per-group summary: bays, health, spares, maintenance, jobs")
    c.add_argument("--group")
    c.add_argument("--domain")
    c.set_defaults(handler=_status)
    c = command(sub, "bays", "every bay with server, power, health, profile and spare flag")
    c.add_argument("--group")
    c.add_argument("--domain")
    c.add_argument("--enclosure")
    c.add_argument("--health", choices=("ok", "warning", "critical", "unknown"))
    c.set_defaults(handler=_bays)


def _status(core: Client, args: argparse.Namespace) -> int:
    groups = core.groups()
    if args.group:
        core.bays(group=args.group)  # validates the name
        groups = [g for g in groups if g.name == args.group]
    if args.domain:
        core.domain_config(args.domain)  # validates the name
        groups = [g for g in groups if any(d.name == args.domain for d in g.domains)]
    now = time.time()
    drained = _drained(core, {d.name for g in groups for d in g.domains
                              if not args.domain or d.name == args.domain})
    data = {
        "driver": core.driver.name, "operator": core.operator,
        "groups": [{
            "name": g.name, "policy": g.policy.mode, "window": g.policy.window,
            "bays": g.bays, "servers": g.servers, "profiles": g.profiles,
            "critical": g.critical, "warning": g.warning, "spares": g.spares,
            "spares_ready": g.spares_ready, "running_jobs": g.running_jobs,
            "coverage": g.cover, "covers_one_enclosure": g.cover_ok,
            "domains": [{
                "name": d.name, "bays": d.bays, "critical": d.critical, "warning": d.warning,
                "spares": d.spares, "drifted": d.drifted,
                "maintenance": d.maintenance.to_dict(now) if d.maintenance else None,
                "enclosures": [e.__dict__ for e in d.enclosures],
            } for d in g.domains if not args.domain or d.name == args.domain],
        } for g in groups],
        "drained": drained,
    }

    def human() -> str:
        rows = [(g.name, g.policy.mode + (f" ({g.policy.window})" if g.policy.window else ""),
                 len(g.domains), g.bays, g.servers, g.profiles, g.critical, g.warning,
                 f"{g.spares_ready}/{g.spares}", g.running_jobs) for g in groups]
        out = [table(("GROUP", "POLICY", "DOMAINS", "BAYS", "SERVERS", "PROFILES", "CRIT",
                      "WARN", "SPARES", "JOBS"), rows)]
        for g in groups:
            for d in g.domains:
                if d.maintenance:
                    m = d.maintenance
                    left = ("EXPIRED " + duration(now - m.expires) + " ago" if m.expired(now)
                            else duration(m.expires - now) + " left")
                    out.append(f"maintenance: {d.name} by {printable(m.owner)}, {left}: "
                               f"{printable(m.reason)}")
            if g.spares_ready == 0:
                out.append(f"warning: group {g.name} has no usable spare")
        out += [_drained_line(d) for d in drained]
        return "\n".join(out)
    emit(args, data, human)
    return 0


def _moved(core: Client, bays: list[Bay]) -> dict[str, str]:
    """Listed bay -> where the profile whose home it is runs now (failed over, evacuated)."""
    listed = {b.id for b in bays}
    away = {home: name for name, home in core.store.homes().items() if home in listed}
    at = {b.profile: b.id for b in bays if b.profile}
    return {home: at.get(name) or core.profile(name).bay or "no bay"
            for home, name in away.items()}


def _drained(core: Client, domains: set[str]) -> list[dict[str, Any]]:
    """The drained enclosures of ``domains`` and the profiles still running on each (a
    partial evacuation leaves those it found no spare for)."""
    return [{"enclosure": e.name, "domain": e.domain, "job": e.drained_job,
             "live": [{"bay": b.id, "profile": b.profile}
                      for b in core.bays(enclosure=e.name) if b.profile]}
            for e in core.store.enclosures() if e.drained_job is not None and e.domain in domains]


def _drained_line(d: dict[str, Any]) -> str:
    live = d["live"]
    if not live:
        return f"drained: {d['enclosure']} (job {d['job']}): no profile runs on it"
    return (f"drained: {d['enclosure']} (job {d['job']}): {len(live)} profile(s) still run on "
            "it: " + ", ".join(f"{printable(x['profile'])} on {x['bay']}" for x in live)
            + " (move them: bayops move PROFILE --to BAY)")


def _bays(core: Client, args: argparse.Namespace) -> int:
    bays = core.bays(group=args.group, domain=args.domain, enclosure=args.enclosure,
                     health=args.health)
    if args.enclosure and not bays:
        raise BadInput(f"no enclosure named {quoted(args.enclosure)}")

    def human() -> str:
        moved = _moved(core, bays)
        return table(("BAY", "DOMAIN", "MODEL", "POWER", "HEALTH", "PROFILE", "BOOT", "SPARE", "JOB",
                      "FLAG"),
                     [(b.id, b.domain + (" [maint]" if b.maintenance else "")
                       + (" [drained]" if b.drained else ""),
                       b.model or "(empty)", b.power if not b.empty else "",
                       b.health if not b.empty else "",
                       b.profile or (f"→ {moved[b.id]}" if b.id in moved else None), b.boot_mode,
                       "spare" if b.spare else "", b.job_id,
                       f"FLAGGED: {b.flag}" if b.flag else "") for b in bays])
    emit(args, [b.to_dict() for b in bays], human)
    return 0
