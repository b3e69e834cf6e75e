"""`bayops firmware` (upgrade a domain in maintenance, the group's compliance), `bayops
ports` (a domain's uplinks), and `bayops domain backup|backups|restore`."""
from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from tui.cli.events import StopSignal
from tui.cli.output import carry_out, emit, job_text, shown_dry_run, table
from tui.cli.parsing import Parser, bounded, confirmable
from tui.model.text import printable
from tui.model.upkeep import ErrorRates, group_firmware

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client
    from tui.model.upkeep import FirmwareState, PortStatus


def register(sub: Subparsers) -> None:
    f = sub.add_parser("firmware", help="firmware upgrade of a domain in maintenance; compliance")
    f.set_defaults(handler=_firmware)
    fsub = f.add_subparsers(dest="action", parser_class=Parser, required=True, metavar="ACTION")
    for action, text in (("plan", "show what an upgrade would do (a dry run)"),
                         ("upgrade", "upgrade one enclosure at a time, each read back")):
        c = fsub.add_parser(action, help=text)
        c.add_argument("domain")
        c.add_argument("--to", required=True, metavar="VERSION")
        c.add_argument("--force", action="store_true", help="admin: in another's maintenance")
        c.add_argument("--json", action="store_true")
        if action == "upgrade":
            confirmable(c)
    c = fsub.add_parser("compliance", help="which domains differ from their group's baseline")
    c.add_argument("group", nargs="?")
    c.add_argument("--json", action="store_true")

    p = sub.add_parser("ports", help="a domain's uplink ports: link, speed, networks, errors")
    p.set_defaults(handler=_ports)
    p.add_argument("domain")
    p.add_argument("--watch", action="store_true", help="read again every --interval seconds")
    p.add_argument("--interval", type=bounded(float, 0.2, 3600), default=5.0)
    p.add_argument("--json", action="store_true")


def register_domain(dsub: argparse._SubParsersAction[Parser]) -> None:
    """`bayops domain backup|backups|restore` (added to `bayops domain`)."""
    c = dsub.add_parser("backup", help="save a domain's configuration (with a hash)")
    c.add_argument("domain")
    c.add_argument("--reason", default="")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = dsub.add_parser("backups", help="a domain's saved configurations: who, when, why, hash")
    c.add_argument("domain")
    c.add_argument("--archived", action="store_true",
                   help="those past retention that `bayops events archive` moved to its files")
    c.add_argument("--json", action="store_true")
    c = dsub.add_parser("restore", help="restore a backup to a domain in maintenance "
                        "(shows the diff first)")
    c.add_argument("domain")
    c.add_argument("backup", type=bounded(int, 1, 2**62))
    c.add_argument("--force", action="store_true")
    c.add_argument("--json", action="store_true")
    confirmable(c)


def domain_action(core: Client, args: argparse.Namespace) -> int:
    if args.action == "backups":
        found = core.domain_backups(args.domain, args.archived)
        kind = "archived backup" if args.archived else "backup"
        emit(args, [b.to_dict() for b in found], lambda: table(
            ("ID", "TAKEN", "BY", "WHY", "HASH"),
            [(b.id, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(b.taken)), b.operator,
              b.reason, b.hash[:16]) for b in found]) if found
            else printable(f"{args.domain}: no {kind}"))
        return 0
    if args.action == "backup":
        plan = core.plan_domain_backup(args.domain, args.reason)
        job = carry_out(args, plan, lambda expect: core.domain_backup(
            args.domain, args.reason, expect))
    else:
        plan = core.plan_domain_restore(args.domain, args.backup, args.force)
        job = carry_out(args, plan, lambda expect: core.domain_restore(
            args.domain, args.backup, args.force, expect), follow=core)
    if job is not None:
        emit(args, {"job": job.to_dict()}, lambda: job_text(job))
    return 0


def _firmware(core: Client, args: argparse.Namespace) -> int:
    if args.action == "compliance":
        states = core.firmware_compliance(args.group)
        emit(args, [s.to_dict() for s in states], lambda: compliance_text(states))
        return 0
    plan = core.plan_firmware_upgrade(args.domain, args.to, args.force)
    if args.action == "plan":
        args.dry_run = True
        shown_dry_run(args, plan)
        return 0
    job = carry_out(args, plan, lambda expect: core.firmware_upgrade(
        args.domain, args.to, args.force, expect), follow=core)
    if job is not None:
        emit(args, {"job": job.to_dict()}, lambda: job_text(job))
    return 0


def compliance_text(states: list[FirmwareState]) -> str:
    """One line per group (the groups pane's words), then one row per domain."""
    groups: dict[str, list[FirmwareState]] = {}
    for s in states:
        groups.setdefault(s.group, []).append(s)
    lines = [printable(f"{name}: " + group_firmware(
        found[0].baseline, (s.components.values() for s in found)).text)
        for name, found in groups.items()]
    return "\n".join(lines) + "\n" + table(
        ("GROUP", "DOMAIN", "BASELINE", "STATE", "DIFFERING"),
        [(s.group, s.domain, s.baseline,
          ("differs" if s.differing else "ok") + ("" if s.read else " (not read yet)"),
          ", ".join(f"{c} {s.components[c]}" for c in s.differing[:4])
          + (f" +{len(s.differing) - 4}" if len(s.differing) > 4 else ""))
         for s in states])


def _port_rows(ports: list[PortStatus], rates: dict[str, float]) -> str:
    return table(("PORT", "LINK", "SPEED", "NETWORKS", "RX ERR", "TX ERR", "ERR/S"),
                 [(p.name, p.link.upper(), f"{p.speed_gbps:g} Gb/s" if p.link == "up" else "-",
                   ", ".join(p.networks) or "-", p.rx_errors, p.tx_errors,
                   f"{rates[p.name]:.1f}" if p.name in rates else "-") for p in ports])


def _ports(core: Client, args: argparse.Namespace) -> int:
    errors = ErrorRates()
    stop = StopSignal() if args.watch else None
    while True:
        ports = core.ports(args.domain)
        rates = errors.update(ports, time.monotonic())
        down = sum(p.link != "up" for p in ports)
        emit(args, {"domain": args.domain, "at": time.time(),
                     "ports": [dict(p.to_dict(), error_rate=rates.get(p.name)) for p in ports]},
              f"{printable(args.domain)}: {len(ports)} uplink(s), {down} down\n"
              + _port_rows(ports, rates))
        if stop is None or stop.stopped:
            return 0
        sys.stdout.flush()
        stop.sleep(args.interval)
        if stop.stopped:
            return 0
