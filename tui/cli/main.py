"""`bayops`: no sub-command opens the dashboard; sub-commands are the scriptable CLI.

Exit codes: 0 done; 1 operation failed (job failed, rolled back); 2 bad input or usage;
3 refused by a precondition, a lock or a role (nothing changed). With --json, stdout
carries exactly one JSON document (JSON lines for --follow and watch).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from tui.cli.output import _asker, _confirm, _emit, _job_text, table
from tui.cli.parsing import COUNT, JOB_ID, SECONDS, UsageError, _bounded, _Parser
from tui.humanize import duration
from tui.model.errors import BadInput, BayopsError

POLL_SECONDS = 0.25


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bayops", description="Operations console for blade-server fleets. "
                "Without a sub-command it opens the dashboard.")
    p.add_argument("--config", help="config file (default: $BAYOPS_CONFIG, the user config, "
                   "else the packaged demo)")
    p.add_argument("--state", help="state database (default: $BAYOPS_STATE, else "
                   "$XDG_STATE_HOME/bayops/state.db)")
    p.add_argument("--theme", help="dashboard theme")
    p.add_argument("--read-only", action="store_true", help="refuse every change")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    def cmd(name: str, help_text: str, json_flag: bool = True) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        if json_flag:
            c.add_argument("--json", action="store_true", help="one JSON document on stdout")
        return c

    def confirmable(c: argparse.ArgumentParser) -> None:
        c.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    c = cmd("status", "per-group summary: bays, health, spares, maintenance, jobs")
    c.add_argument("--group")
    c.add_argument("--domain")
    c = cmd("bays", "every bay with server, power, health, profile and spare flag")
    c.add_argument("--group")
    c.add_argument("--domain")
    c.add_argument("--enclosure")
    c.add_argument("--health", choices=("ok", "warning", "critical", "unknown"))
    c = cmd("failover", "fail a bay's profile over to a spare (boot-from-SAN only)")
    c.add_argument("bay")
    c.add_argument("--to", help="target bay instead of the best spare")
    c.add_argument("--force", action="store_true",
                   help="fail over a healthy bay, or to a target that does not match")
    confirmable(c)
    c = cmd("move", "move a profile to a named bay, in this group or another")
    c.add_argument("profile")
    c.add_argument("--to", required=True)
    confirmable(c)
    c = cmd("spares", "show or change a group's spare pool")
    c.add_argument("group")
    c.add_argument("--add", nargs="+", default=[], metavar="BAY")
    c.add_argument("--remove", nargs="+", default=[], metavar="BAY")
    confirmable(c)

    m = sub.add_parser("maintenance", help="exclusive maintenance lock on one domain")
    msub = m.add_subparsers(dest="action", parser_class=_Parser, required=True, metavar="ACTION")
    c = msub.add_parser("start", help="lock a domain for maintenance")
    c.add_argument("domain")
    c.add_argument("--reason", required=True)
    c.add_argument("--hours", type=_bounded(float, 0.001, 336), help="lease length (default from config)")
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
    c.add_argument("--hours", type=_bounded(float, 0.001, 336), help="from now (default from config)")
    c.add_argument("--force", action="store_true")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = msub.add_parser("status", help="domains in maintenance")
    c.add_argument("--json", action="store_true")

    d = sub.add_parser("domain", help="show or edit a domain's configuration")
    dsub = d.add_subparsers(dest="action", parser_class=_Parser, required=True, metavar="ACTION")
    c = dsub.add_parser("set", help="edit a domain in maintenance: network.NAME VLAN|-, "
                        "fabric.NAME present|-, firmware VERSION, user.NAME ROLE|-")
    c.add_argument("domain")
    c.add_argument("key")
    c.add_argument("value")
    c.add_argument("--force", action="store_true")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = dsub.add_parser("show", help="a domain's configuration and its drift from the baseline")
    c.add_argument("domain")
    c.add_argument("--json", action="store_true")

    e = sub.add_parser("enclosure", help="add an enclosure to a group")
    esub = e.add_subparsers(dest="action", parser_class=_Parser, required=True, metavar="ACTION")
    c = esub.add_parser("add", help="add an enclosure; its domain receives the group baseline")
    c.add_argument("group")
    c.add_argument("enclosure")
    c.add_argument("--domain", help="existing domain to join, or name of a new one")
    c.add_argument("--bays", type=int, default=16, choices=(8, 16))
    c.add_argument("--json", action="store_true")
    confirmable(c)

    c = cmd("policy", "show or set a group's auto-failover policy")
    c.add_argument("group")
    c.add_argument("--mode", choices=("manual", "alert", "auto"))
    c.add_argument("--window", help="e.g. 'sat,sun' or 'mon-fri 18:00-06:00'; '' for always")
    confirmable(c)

    pr = sub.add_parser("profile", help="server profiles")
    psub = pr.add_subparsers(dest="action", parser_class=_Parser, required=True, metavar="ACTION")
    c = psub.add_parser("list", help="profiles and where they run")
    c.add_argument("--group")
    c.add_argument("--json", action="store_true")
    c = psub.add_parser("show", help="one profile with its identities")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    c = psub.add_parser("create", help="create an unassigned profile from the pools")
    c.add_argument("name")
    c.add_argument("--group", required=True)
    c.add_argument("--network", action="append", help="default: every network of the group")
    c.add_argument("--fabric", action="append", help="default: every fabric of the group")
    c.add_argument("--boot", choices=("san", "local"), default="san")
    c.add_argument("--lun", type=_bounded(int, 0, 16383), default=0)
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = psub.add_parser("delete", help="delete an unassigned profile; its addresses return")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    confirmable(c)

    po = sub.add_parser("pools", help="MAC, WWPN and serial pools: free, in use, excluded")
    po.add_argument("--json", action="store_true")
    posub = po.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")
    for action, text in (("exclude", "never allocate this address (admin)"),
                         ("include", "give an excluded address back to its pool (admin)")):
        c = posub.add_parser(action, help=text)
        c.add_argument("kind", choices=("mac", "wwpn", "serial"))
        c.add_argument("address")
        c.add_argument("--json", action="store_true")
        confirmable(c)

    j = sub.add_parser("jobs", help="jobs: list, show one, resume interrupted ones")
    j.add_argument("--json", action="store_true")
    j.add_argument("--limit", type=COUNT, default=50)
    jsub = j.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")
    c = jsub.add_parser("show", help="one job with its journal")
    c.add_argument("id", type=JOB_ID)
    c.add_argument("--json", action="store_true")
    c = jsub.add_parser("resume", help="finish or roll back jobs interrupted by a crash")
    c.add_argument("--json", action="store_true")

    c = cmd("events", "the event log (audit trail)")
    c.add_argument("--since", type=_bounded(int, 0, 2**62), default=None,
                   help="events after this sequence number")
    c.add_argument("--limit", type=COUNT, default=50, help="newest N when --since is not given")
    c.add_argument("--follow", "-f", action="store_true", help="stream new events")
    c = cmd("watch", "headless monitor: health polling and the auto-failover policy")
    c.add_argument("--interval", type=SECONDS, default=2.0)
    c.add_argument("--no-policy", action="store_true", help="record health, never act")
    c.add_argument("--count", type=COUNT, default=0, help=argparse.SUPPRESS)

    s = sub.add_parser("sim", help="simulator faults (sim driver only)")
    ssub = s.add_subparsers(dest="action", parser_class=_Parser, required=True, metavar="ACTION")
    c = ssub.add_parser("fail", help="inject a fault")
    c.add_argument("bay")
    c.add_argument("--kind", default="critical",
                   choices=("critical", "cpu-threshold", "memory-errors", "no-answer",
                            "power-stuck", "wont-power-on"))
    c.add_argument("--json", action="store_true")
    c = ssub.add_parser("heal", help="clear a fault")
    c.add_argument("bay")
    c.add_argument("--json", action="store_true")

    cmd("info", "paths, driver and operator this bayops uses")
    return p


# -- output -------------------------------------------------------------------------------
def _event_line(e) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.ts))
    return f"{e.seq:>6} {when} {e.severity:8} {e.source:22} {e.message} [{e.operator}]"


def _plan_text(plan) -> str:
    lines = [plan.summary, f"  reason: {plan.reason}"] if plan.reason else [plan.summary]
    lines += [f"  {i}. {s}" for i, s in enumerate(plan.steps, 1)]
    lines += [f"  warning: {w}" for w in plan.warnings]
    return "\n".join(lines)


# -- commands -----------------------------------------------------------------------------
def _status(core, args) -> int:
    groups = core.groups()
    if args.group:
        core.bays(group=args.group)  # validates the name
        groups = [g for g in groups if g.name == args.group]
    if args.domain:
        core.domain_config(args.domain)  # validates the name
        groups = [g for g in groups if any(d.name == args.domain for d in g.domains)]
    now = time.time()
    data = {
        "driver": core.driver.name, "operator": core.operator,
        "groups": [{
            "name": g.name, "policy": g.policy.mode, "window": g.policy.window,
            "bays": g.bays, "servers": g.servers, "profiles": g.profiles,
            "critical": g.critical, "warning": g.warning, "spares": g.spares,
            "spares_ready": g.spares_ready, "running_jobs": g.running_jobs,
            "domains": [{
                "name": d.name, "bays": d.bays, "critical": d.critical, "warning": d.warning,
                "spares": d.spares, "drifted": d.drifted,
                "maintenance": d.maintenance.to_dict(now) if d.maintenance else None,
                "enclosures": [e.__dict__ for e in d.enclosures],
            } for d in g.domains if not args.domain or d.name == args.domain],
        } for g in groups],
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
                    out.append(f"maintenance: {d.name} by {m.owner}, {left}: {m.reason}")
            if g.spares_ready == 0:
                out.append(f"warning: group {g.name} has no usable spare")
        return "\n".join(out)
    _emit(args, data, human)
    return 0


def _bays(core, args) -> int:
    bays = core.bays(group=args.group, domain=args.domain, enclosure=args.enclosure,
                     health=args.health)
    if args.enclosure and not bays:
        raise BadInput(f"no enclosure named {args.enclosure!r}")

    def human() -> str:
        return table(("BAY", "DOMAIN", "MODEL", "POWER", "HEALTH", "PROFILE", "BOOT", "SPARE", "JOB"),
                     [(b.id, b.domain + (" [maint]" if b.maintenance else ""),
                       b.model or "(empty)", b.power if not b.empty else "",
                       b.health if not b.empty else "", b.profile, b.boot_mode,
                       "spare" if b.spare else "", b.job_id) for b in bays])
    _emit(args, [b.to_dict() for b in bays], human)
    return 0


def _run_job(args, plan, start: Callable[[], Any]) -> int:
    _confirm(args, _plan_text(plan) if plan is not None else "")
    job = start()
    _emit(args, {"job": job.to_dict(), "plan": plan.to_dict() if plan else None},
          lambda: _job_text(job))
    return 0


def _failover(core, args) -> int:
    plan = core.plan_failover(args.bay, args.to, args.force, refresh=True)
    # A person who confirmed a target gets that target or a refusal; a script (--yes)
    # gets the best target at the moment it runs.
    expect = None if args.yes else plan.target
    return _run_job(args, plan, lambda: core.failover(args.bay, args.to, args.force, expect))


def _move(core, args) -> int:
    plan = core.plan_move(args.profile, args.to)
    return _run_job(args, plan, lambda: core.move(args.profile, args.to))


def _spares(core, args) -> int:
    if not args.add and not args.remove:
        spares = core.spares(args.group)
        _emit(args, [b.to_dict() for b in spares], lambda: table(
            ("BAY", "DOMAIN", "MODEL", "POWER", "HEALTH", "JOB"),
            [(b.id, b.domain, b.model, b.power, b.health, b.job_id) for b in spares])
            or f"group {args.group} has no spares")
        return 0
    job = core.change_spares(args.group, args.add, args.remove, confirm=_asker(args))
    _emit(args, {"job": job.to_dict(), "spares": [b.id for b in core.spares(args.group)]},
          lambda: _job_text(job))
    return 0


def _maintenance(core, args) -> int:
    now = time.time()
    if args.action == "status":
        held = core.maintenance()
        _emit(args, [m.to_dict(now) for m in held], lambda: table(
            ("DOMAIN", "GROUP", "OWNER", "STARTED", "LEASE", "REASON"),
            [(m.domain, m.group, m.owner, time.strftime("%m-%d %H:%M", time.localtime(m.started)),
              ("EXPIRED " + duration(now - m.expires) + " ago") if m.expired(now)
              else duration(m.expires - now) + " left", m.reason) for m in held])
            if held else "no domain is in maintenance")
        return 0
    if args.action == "start":
        m = core.start_maintenance(args.domain, args.reason, args.hours, confirm=_asker(args))
        _emit(args, m.to_dict(now), f"{m.domain} is in maintenance by {m.owner} "
              f"({duration(m.expires - now)} lease)")
        return 0
    if args.action == "renew":
        m = core.renew_maintenance(args.domain, args.hours, args.force, confirm=_asker(args))
        _emit(args, m.to_dict(now), f"{m.domain}: lease renewed, {duration(m.expires - now)} left")
        return 0
    if args.action == "complete":
        diff, others = core.plan_complete(args.domain, args.force)
        _confirm(args, f"complete maintenance of {args.domain}: apply to "
                       f"{', '.join(others) or 'no other domain'}\n"
                 + "\n".join(f"  {line}" for line in diff or ["(no change)"]))
        job = core.complete_maintenance(args.domain, args.force)
    else:
        job = core.cancel_maintenance(args.domain, args.force, confirm=_asker(args))
    _emit(args, {"job": job.to_dict()}, lambda: _job_text(job))
    return 0


def _domain(core, args) -> int:
    if args.action == "set":
        config = core.set_domain(args.domain, args.key, args.value, args.force,
                                 confirm=_asker(args))
        _, baseline = core.domain_config(args.domain)
    else:
        config, baseline = core.domain_config(args.domain)
    diff = config.diff(baseline)
    _emit(args, {"domain": args.domain, "config": config.to_dict(),
                 "baseline": baseline.to_dict(), "diff": diff},
          lambda: json.dumps(config.to_dict(), indent=2) + "\ndiff against the baseline:\n"
          + ("\n".join(f"  {line}" for line in diff) or "  (none)"))
    return 0


def _enclosure(core, args) -> int:
    job = core.add_enclosure(args.group, args.enclosure, args.domain, args.bays,
                             confirm=_asker(args))
    _emit(args, {"job": job.to_dict()}, lambda: _job_text(job))
    return 0


def _policy(core, args) -> int:
    if args.mode is None and args.window is None:
        g = next((g for g in core.groups() if g.name == args.group), None)
        if g is None:
            raise BadInput(f"no domain group named {args.group!r}")
        policy = g.policy
    else:
        policy = core.set_policy(args.group, args.mode, args.window, confirm=_asker(args))
    _emit(args, {"group": args.group, "mode": policy.mode, "window": policy.window},
          f"{args.group}: {policy.mode}" + (f" during {policy.window}" if policy.window else ""))
    return 0


def _profile(core, args) -> int:
    if args.action == "list":
        profiles = core.profiles(args.group)
        _emit(args, [p.to_dict() for p in profiles], lambda: table(
            ("PROFILE", "GROUP", "BAY", "BOOT", "SERIAL", "NETWORKS", "FABRICS"),
            [(p.name, p.group, p.bay or "(unassigned)", p.boot_mode, p.serial,
              ",".join(p.networks), ",".join(p.fabrics)) for p in profiles]))
        return 0
    if args.action == "show":
        p = core.profile(args.name)
        _emit(args, p.to_dict(), lambda: "\n".join(
            [f"{p.name} (group {p.group}) on {p.bay or 'no bay'}, serial {p.serial}, boot "
             + (f"from SAN {p.san_target} LUN {p.san_lun}" if p.boot_mode == "san" else "local")]
            + [f"  {c.kind} {c.index}: {c.address} -> {c.target}" for c in p.connections]))
        return 0
    if args.action == "create":
        p = core.create_profile(args.name, args.group, args.network, args.fabric, args.boot,
                                args.lun, confirm=_asker(args))
        _emit(args, p.to_dict(), f"profile {p.name} created (serial {p.serial})")
        return 0
    core.delete_profile(args.name, confirm=_asker(args))
    _emit(args, {"deleted": args.name}, f"profile {args.name} deleted")
    return 0


def _pools(core, args) -> int:
    if args.action is not None:
        address = core.exclude_address(args.kind, args.address, include=args.action == "include",
                                       confirm=_asker(args))
        _emit(args, {"kind": args.kind, "address": address, "action": args.action},
              f"{args.kind} {address}: {args.action}d")
        return 0
    pools = core.pools()
    _emit(args, pools, lambda: table(
        ("POOL", "RANGE", "SIZE", "IN USE", "EXCLUDED", "FREE"),
        [(kind, f"{p['start']}..{p['end']}", p["size"], p["in_use"], len(p["excluded"]), p["free"])
         for kind, p in pools.items()]))
    return 0


def _jobs(core, args) -> int:
    if args.action == "show":
        job = core.job(args.id)
        _emit(args, job.to_dict(), lambda: _job_text(job))
        return 0
    if args.action == "resume":
        done = core.resume_interrupted()
        _emit(args, [{"job": j.to_dict(), "outcome": o} for j, o in done],
              lambda: "\n".join(f"job {j.id}: {o}" for j, o in done) or "no interrupted job")
        return 0 if all(o == "done" for _, o in done) else 1
    jobs = core.jobs(args.limit)
    _emit(args, [j.to_dict() for j in jobs], lambda: table(
        ("JOB", "KIND", "STATE", "OPERATOR", "STEPS", "SUMMARY"),
        [(j.id, j.kind, j.state, j.operator, len(j.steps), j.summary) for j in jobs]))
    return 0


class _Stop:
    """SIGTERM/SIGINT end a follow loop cleanly (a service manager stops `watch` so)."""

    def __init__(self) -> None:
        self.stopped = False
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)

    def _stop(self, *_: Any) -> None:
        self.stopped = True

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopped and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))


def _print_events(args, events) -> None:
    for e in events:
        if args.json:
            sys.stdout.write(json.dumps(e.to_dict()) + "\n")
        else:
            sys.stdout.write(_event_line(e) + "\n")
    sys.stdout.flush()


def _events(core, args) -> int:
    if args.follow:
        stop = _Stop()
        last = core.store.last_event_seq() if args.since is None else args.since
        while not stop.stopped:
            events = core.events(last)
            if events:
                _print_events(args, events)
                last = events[-1].seq
            stop.sleep(POLL_SECONDS)
        return 0
    events = core.events(args.since or 0, None if args.since is not None else args.limit)
    _emit(args, [e.to_dict() for e in events], lambda: "\n".join(_event_line(e) for e in events))
    return 0


def _watch(core, args) -> int:
    from tui.core.monitor import Monitor

    stop = _Stop()
    monitor = Monitor(core, apply_policy=not args.no_policy)
    last = core.store.last_event_seq()
    polls = 0
    while not stop.stopped:
        monitor.poll()
        events = core.events(last)
        if events:
            _print_events(args, events)
            last = events[-1].seq
        polls += 1
        if args.count and polls >= args.count:
            break
        stop.sleep(args.interval)
    return 0


def _sim(core, args) -> int:
    message = core.sim_fault(args.bay, args.kind if args.action == "fail" else None)
    _emit(args, {"bay": args.bay, "action": args.action, "message": message},
          f"{args.bay}: {message}")
    return 0


def _info(core, args) -> int:
    from tui.core.config import user_config_path

    data = {"config": str(core.config.path), "user_config": str(user_config_path()),
            "state": str(core.store.path), "driver": core.driver.name,
            "operator": core.operator, "read_only": core.read_only,
            "roles": {g: core.role(g) for g in core.store.group_names()}}
    _emit(args, data, lambda: "\n".join(f"{k:12} {v}" for k, v in data.items()))
    return 0


COMMANDS = {"status": _status, "bays": _bays, "failover": _failover, "move": _move,
            "spares": _spares, "maintenance": _maintenance, "domain": _domain,
            "enclosure": _enclosure, "policy": _policy, "profile": _profile, "pools": _pools,
            "jobs": _jobs,
            "events": _events, "watch": _watch, "sim": _sim, "info": _info}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    try:
        for position, arg in enumerate(argv, 1):
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                raise UsageError(f"argument {position} is not valid UTF-8") from None
        args = build_parser().parse_args(argv)
        from tui.core.config import find_config, load_config

        config = load_config(find_config(args.config))
        if args.command is None:
            from tui.app import run_dashboard

            return run_dashboard(config, args)
        from tui.core.api import Core

        explicit_resume = args.command == "jobs" and args.action == "resume"
        core = Core.open(config, args.state, read_only=args.read_only, resume=False)
        for message in core.warnings:
            sys.stderr.write(f"bayops: warning: {message}\n")
        if args.read_only:
            waiting = core.interrupted_jobs()
            if waiting:
                sys.stderr.write(f"bayops: {len(waiting)} interrupted job(s) wait for "
                                 "`bayops jobs resume` (not resumed: read-only)\n")
        elif not explicit_resume:
            for job, outcome in core.resume_interrupted():
                sys.stderr.write(f"bayops: resumed interrupted job {job.id} ({job.summary}): {outcome}\n")
        try:
            return COMMANDS[args.command](core, args)
        finally:
            core.close()
    except BayopsError as exc:
        message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return _fail(message, exc.exit_code, json_mode)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the operator, the traceback on request
        if os.environ.get("BAYOPS_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {exc} "
                     "(BAYOPS_DEBUG=1 shows the traceback)", 1, json_mode)


def _fail(message: str, code: int, json_mode: bool) -> int:
    sys.stderr.write(f"bayops: {message}\n")
    if json_mode:
        sys.stdout.write(json.dumps({"error": message, "exit": code}) + "\n")
    return code

