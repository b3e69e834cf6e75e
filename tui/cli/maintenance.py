"""`bayops maintenance` (the exclusive lock on one domain) and `bayops domain` (its config)."""
from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING

from tui.cli import upkeep
from tui.cli.output import carry_out, emit, job_text, table
from tui.cli.parsing import Parser, bounded, confirmable
from tui.humanize import duration
from tui.model.text import printable
from tui.model.upkeep import file_reference

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    m = sub.add_parser("maintenance", help="exclusive maintenance lock on one domain")
    m.set_defaults(handler=_maintenance)
    msub = m.add_subparsers(dest="action", parser_class=Parser, required=True, metavar="ACTION")
    c = msub.add_parser("start", help="lock a domain for maintenance")
    c.add_argument("domain")
    c.add_argument("--reason", required=True)
    c.add_argument("--hours", type=bounded(float, 0.001, 336), help="lease length (default from config)")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    for action, text in (("complete", "propagate the domain's changes to its group"),
                         ("cancel", "revert the domain to the group baseline")):
        c = msub.add_parser(action, help=text)
        c.add_argument("domain")
        c.add_argument("--force", action="store_true", help="admin: act on another's lock (audited)")
        c.add_argument("--json", action="store_true")
        confirmable(c)
    c = msub.add_parser("renew", help="extend the lease (owner, or admin with --force)")
    c.add_argument("domain")
    c.add_argument("--hours", type=bounded(float, 0.001, 336), help="from now (default from config)")
    c.add_argument("--force", action="store_true")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = msub.add_parser("status", help="domains in maintenance")
    c.add_argument("--json", action="store_true")

    d = sub.add_parser("domain", help="show or edit a domain's configuration")
    d.set_defaults(handler=_domain)
    dsub = d.add_subparsers(dest="action", parser_class=Parser, required=True, metavar="ACTION")
    c = dsub.add_parser("set", help="edit a domain in maintenance: network.NAME VLAN|-, "
                        "fabric.NAME present|-, firmware VERSION (a target: complete stages it on "
                        "every domain, enclosure by enclosure), user.NAME ROLE|- (accounts "
                        "get no password from bayops: set it on the domain itself), "
                        "storage.FABRIC.type|speed|targets VALUE, storage.FABRIC.credentials "
                        "@FILE (only the file's path is kept)")
    c.add_argument("domain")
    c.add_argument("key")
    c.add_argument("value")
    c.add_argument("--force", action="store_true")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = dsub.add_parser("show", help="a domain's configuration and its drift from the baseline")
    c.add_argument("domain")
    c.add_argument("--json", action="store_true")
    upkeep.register_domain(dsub)


def _maintenance(core: Client, args: argparse.Namespace) -> int:
    now = time.time()
    if args.action == "status":
        held = core.maintenance()
        emit(args, [m.to_dict(now) for m in held], lambda: table(
            ("DOMAIN", "GROUP", "OWNER", "STARTED", "LEASE", "REASON"),
            [(m.domain, m.group, m.owner, time.strftime("%m-%d %H:%M", time.localtime(m.started)),
              ("EXPIRED " + duration(now - m.expires) + " ago") if m.expired(now)
              else duration(m.expires - now) + " left", m.reason) for m in held])
            if held else "no domain is in maintenance")
        return 0
    if args.action == "start":
        plan = core.plan_maintenance_start(args.domain, args.reason, args.hours)
        if carry_out(args, plan, lambda expect: core.maintenance_start(
                args.domain, args.reason, args.hours, expect)) is None:
            return 0
        m = core.maintenance_of(args.domain)
        emit(args, m.to_dict(now), f"{m.domain} is in maintenance by {printable(m.owner)} "
              f"({duration(m.expires - now)} lease)")
        return 0
    if args.action == "renew":
        plan = core.plan_maintenance_renew(args.domain, args.hours, args.force)
        if carry_out(args, plan, lambda expect: core.maintenance_renew(
                args.domain, args.hours, args.force, expect)) is None:
            return 0
        m = core.maintenance_of(args.domain)
        emit(args, m.to_dict(now), f"{m.domain}: lease renewed, {duration(m.expires - now)} left")
        return 0
    if args.action == "complete":
        plan = core.plan_maintenance_complete(args.domain, args.force)
        job = carry_out(args, plan, lambda expect: core.maintenance_complete(
            args.domain, args.force, expect), follow=core)
    else:
        plan = core.plan_maintenance_cancel(args.domain, args.force)
        job = carry_out(args, plan, lambda expect: core.maintenance_cancel(
            args.domain, args.force, expect), follow=core)
    if job is not None:
        emit(args, {"job": job.to_dict()}, lambda: job_text(job))
    return 0


def _domain(core: Client, args: argparse.Namespace) -> int:
    if args.action in ("backup", "backups", "restore"):
        return upkeep.domain_action(core, args)
    if args.action == "set":
        args.value = file_reference(args.value)  # @FILE: where, never what
        plan = core.plan_domain_set(args.domain, args.key, args.value, args.force)
        if carry_out(args, plan, lambda expect: core.domain_set(
                args.domain, args.key, args.value, args.force, expect)) is None:
            return 0
    config, baseline = core.domain_config(args.domain)
    diff = config.diff(baseline)
    emit(args, {"domain": args.domain, "config": config.to_dict(),
                 "baseline": baseline.to_dict(), "diff": diff},
          lambda: json.dumps(config.to_dict(), indent=2) + "\ndiff against the baseline:\n"
          + ("\n".join(f"  {printable(line)}" for line in diff) or "  (none)"))
    return 0
