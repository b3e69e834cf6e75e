"""`bayops status` and `bayops bays`: the fleet at a glance."""
from __future__ import annotations

import argparse
import time

from tui.cli.output import emit, table
from tui.cli.parsing import command
from tui.humanize import duration
from tui.model.errors import BadInput
from tui.model.text import printable, quoted

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client
    from tui.model.entities import Bay, GroupSummary


def register(sub: Subparsers) -> None:
    c = command(sub, "status", "per-group summary: bays, health, spares, maintenance, jobs")
    c.add_argument("--group")
    c.add_argument("--domain")
    c.set_defaults(handler=_status, glance=_glance)
    c = command(sub, "bays", "every bay with server, power, health, profile and spare flag")
    c.add_argument("--group")
    c.add_argument("--domain")
    c.add_argument("--enclosure")
    c.add_argument("--health", choices=("ok", "warning", "critical", "unknown"))
    c.set_defaults(handler=_bays)


def _glance(args: argparse.Namespace) -> int | None:
    """`status` before a config is checked or a client opened, when that is all the long
    way would do, given a config found valid before and unchanged since: from the state
    file alone (tui.core.store.glance) for the simulator embedded on an existing SQLite
    state with nothing to resume; or, as a server's client, from its one answer
    (``_served_glance``). Not --read-only; known names in --group and --domain. None: take
    the long way (``_status``), which also says what is wrong."""
    if args.read_only:
        return None
    from tui.client import choose_server
    from tui.core.configpath import MAX_CONFIG_BYTES, find_config, vouched

    path = find_config(args.config)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return None
    facts = vouched(path, data)
    if facts is None:
        return None
    address, origin = choose_server(args.server, facts.get("server", ""), path)
    if address is not None:
        return _served_glance(args, address, origin, facts, path)
    if facts.get("driver") != "sim":
        return None
    from pathlib import Path

    from tui.core.process import current_operator
    from tui.core.statepath import choose_state, configured_location
    from tui.core.store.glance import open_glance

    kind, location = choose_state(args.state, configured_location(facts.get("state", ""), path))
    figures = (open_glance(Path(location), "sim", facts.get("schema", -1)) if kind == "sqlite"
               else None)
    if figures is None or not _known(args, figures["groups"]):
        return None
    _report(args, "sim", current_operator(), figures["groups"], figures["drained"])
    return 0


def _served_glance(args: argparse.Namespace, address: str, origin: str, facts: dict[str, Any],
                   config_path: Path) -> int | None:
    """`status` as the client of one server: its one answer to ``glance``
    (tui.client.quick: no httpx, no Core, no model class), printed as ``_report`` prints.
    The CA and token are checked as ``connect`` checks them (a missing file refused in its
    words). None, for the long way (RemoteCore) to answer or word the
    failure: several servers, TLS checked against the public CAs, no whole answer (no
    server, an untrusted certificate, a server from before ``glance``, garbage), an
    unknown --group or --domain. An error the server answered is raised as it is (the
    long way would ask again: a refusal or a bad token counted twice), and so is no
    answer within server_timeout (the long way would wait as long again)."""
    if "," in address:
        return None
    from tui.client import ca_for, server_timeout, token_for
    from tui.client.quick import NoAnswer, error_for, get

    written = {key: facts.get(key, "") for key in ("server_ca", "token_file", "server_timeout")}
    ca, token = ca_for(written, config_path), token_for(written, config_path)
    unix = address.startswith(("unix:", "/"))
    if not unix and ca is None:  # httpx's own bundle of public CAs: the long way
        return None
    try:
        status, body = get(address, "query/glance", ca, None if unix else token,
                           server_timeout(written))
    except NoAnswer:
        return None
    if status >= 400:
        raise error_for(status, body)
    figures = body.get("result") if isinstance(body, dict) else None
    if not (isinstance(figures, dict) and isinstance(figures.get("groups"), list)
            and isinstance(figures.get("drained"), list)
            and isinstance(figures.get("driver"), str) and isinstance(figures.get("operator"), str)):
        return None
    try:  # made whole before a line is written
        if not _known(args, figures["groups"]):
            return None
        data, human = _shown(args, figures["driver"], figures["operator"], figures["groups"],
                             figures["drained"])
        text = "" if getattr(args, "json", False) else human()
    except (KeyError, TypeError, AttributeError, ValueError):  # rows of another version's
        return None  # glance: the long way asks in terms both read
    from tui.cli.main import ignored_on_a_server

    args.client_origin = origin
    ignored_on_a_server(figures["operator"], args)
    emit(args, data, text)
    return 0


def _known(args: argparse.Namespace, groups: list[dict[str, Any]]) -> bool:
    """--group and --domain name what ``groups`` hold (else the long way refuses them)."""
    domains = {d["name"] for g in groups for d in g["domains"]}
    return not (args.group and args.group not in {g["name"] for g in groups}) and not (
        args.domain and args.domain not in domains)


def _status(core: Client, args: argparse.Namespace) -> int:
    summaries = core.groups()
    if args.group:
        core.bays(group=args.group)  # validates the name
    if args.domain:
        core.domain_config(args.domain)  # validates the name
    _report(args, core.driver.name, core.operator, glance_of(summaries), _drained(core))
    return 0


def glance_of(summaries: list[GroupSummary]) -> list[dict[str, Any]]:
    """The groups as ``tui.core.store.glance`` has them, from the view's summaries."""
    import dataclasses

    return [{
        "name": g.name, "policy": g.policy.mode, "window": g.policy.window,
        "bays": g.bays, "servers": g.servers, "profiles": g.profiles,
        "critical": g.critical, "warning": g.warning, "spares": g.spares,
        "spares_ready": g.spares_ready, "running_jobs": g.running_jobs,
        "coverage": g.cover, "covers_one_enclosure": g.cover_ok,
        "domains": [{
            "name": d.name, "bays": d.bays, "critical": d.critical, "warning": d.warning,
            "spares": d.spares, "drifted": d.drifted,
            "maintenance": dataclasses.asdict(d.maintenance) if d.maintenance else None,
            "enclosures": [e.__dict__ for e in d.enclosures],
        } for d in g.domains],
    } for g in summaries]


def _report(args: argparse.Namespace, driver: str, operator: str, groups: list[dict[str, Any]],
            drained: list[dict[str, Any]]) -> None:
    """Print status, the same from every way (``_glance``, ``_served_glance``, ``_status``):
    ``groups`` as the glance has them, every domain each; ``drained``: every drained
    enclosure."""
    emit(args, *_shown(args, driver, operator, groups, drained))


def _shown(args: argparse.Namespace, driver: str, operator: str, groups: list[dict[str, Any]],
           drained: list[dict[str, Any]]) -> tuple[dict[str, Any], Callable[[], str]]:
    """What ``_report`` prints: the JSON document, and the text made when asked."""
    now = time.time()
    groups = [g for g in groups if (not args.group or g["name"] == args.group) and (
        not args.domain or any(d["name"] == args.domain for d in g["domains"]))]
    for g in groups:
        for d in g["domains"]:
            if d["maintenance"]:
                m = d["maintenance"]
                d["maintenance"] = {**m, "expired": now >= m["expires"],
                                    "seconds_left": max(0, int(m["expires"] - now))}
    shown = {d["name"] for g in groups for d in g["domains"]
             if not args.domain or d["name"] == args.domain}
    drained = [d for d in drained if d["domain"] in shown]
    data = {
        "driver": driver, "operator": operator,
        "groups": [{**g, "domains": [d for d in g["domains"] if d["name"] in shown]}
                   for g in groups],
        "drained": drained,
    }

    def human() -> str:
        rows = [(g["name"], g["policy"] + (f" ({g['window']})" if g["window"] else ""),
                 len(g["domains"]), g["bays"], g["servers"], g["profiles"], g["critical"],
                 g["warning"], f"{g['spares_ready']}/{g['spares']}", g["running_jobs"])
                for g in groups]
        out = [table(("GROUP", "POLICY", "DOMAINS", "BAYS", "SERVERS", "PROFILES", "CRIT",
                      "WARN", "SPARES", "JOBS"), rows)]
        for g in groups:
            for d in g["domains"]:
                if d["maintenance"]:
                    m = d["maintenance"]
                    left = ("EXPIRED " + duration(now - m["expires"]) + " ago" if m["expired"]
                            else duration(m["expires"] - now) + " left")
                    out.append(f"maintenance: {d['name']} by {printable(m['owner'])}, {left}: "
                               f"{printable(m['reason'])}")
            if g["spares_ready"] == 0:
                out.append(f"warning: group {g['name']} has no usable spare")
        out += [_drained_line(d) for d in drained]
        return "\n".join(out)
    return data, human


def _moved(core: Client, bays: list[Bay]) -> dict[str, str]:
    """Listed bay -> where the profile whose home it is runs now (failed over, evacuated)."""
    listed = {b.id for b in bays}
    away = {home: name for name, home in core.store.homes().items() if home in listed}
    at = {b.profile: b.id for b in bays if b.profile}
    return {home: at.get(name) or core.profile(name).bay or "no bay"
            for home, name in away.items()}


def _drained(core: Client) -> list[dict[str, Any]]:
    """The drained enclosures and the profiles still running on each (a partial
    evacuation leaves those it found no spare for)."""
    return [{"enclosure": e.name, "domain": e.domain, "job": e.drained_job,
             "live": [{"bay": b.id, "profile": b.profile}
                      for b in core.bays(enclosure=e.name) if b.profile]}
            for e in core.store.enclosures() if e.drained_job is not None]


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
