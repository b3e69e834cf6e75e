"""Maintenance: an exclusive, leased lock on one domain (at most one per group).

While it is held the domain may drift from its group baseline (``tui.core.ops.domain``);
``complete`` propagates the drift to every other domain of the group and makes it the new
baseline, ``cancel`` reverts the domain. The owner acts on the lock; an admin with
--force may (audited); once the lease expires edits stop until it is renewed, and any
group-admin may complete or cancel it (audited as a takeover).
"""
from __future__ import annotations

import time
from functools import partial

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops import staging
from tui.core.ops.backup import backup_step, take
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.core.validate import check_text
from tui.model.driver import DomainMaintenanceDriver, ProfileManager
from tui.model.entities import DomainConfig, Maintenance, Profile
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import (
    MaintenanceCancelParams,
    MaintenanceCompleteParams,
    MaintenanceRenewParams,
    MaintenanceStartParams,
)
from tui.model.plan import Change, Diff, Plan
from tui.model.upkeep import off_baseline

MAX_LEASE_HOURS = 24 * 14


def held(ctx: OpContext, domain: str, force: bool, edit: bool = False) -> Maintenance:
    """The lock on ``domain`` if this operator may act on it; Refused otherwise."""
    group = ctx.domain_group(domain)
    found = ctx.store.maintenance(domain)
    if not found:
        raise Refused(f"domain {domain} is not in maintenance", code="not-in-maintenance")
    m = found[0]
    expired = m.expired(time.time())
    if edit and expired:
        raise Refused(f"the maintenance lease on {domain} expired at "
                      f"{time.strftime('%H:%M', time.localtime(m.expires))}", code="lease-expired",
                      hint=f"renew it (bayops maintenance renew {domain}), or complete or cancel it")
    if m.owner == ctx.operator or (expired and not edit):
        ctx.require(group, "maintenance")
    elif force:
        ctx.require(group, "force")
    else:
        raise Refused(f"domain {domain} is in maintenance by {m.owner}, not {ctx.operator}",
                      code="needs-force", hint="an admin can act on it with --force (audited)")
    return m


def domain_free(ctx: OpContext, domain: str) -> None:
    ctx.not_held(f"domain {domain}", ctx.store.lock_holder(f"domain:{domain}"))


def _lease_hours(ctx: OpContext, hours: float | None) -> float:
    hours = ctx.config.lease_hours if hours is None else hours
    if not 0 < hours <= MAX_LEASE_HOURS:
        raise BadInput(f"lease of {hours} hours is out of range (0..{MAX_LEASE_HOURS})")
    return hours


def _takeover_warning(ctx: OpContext, m: Maintenance) -> tuple[str, ...]:
    if m.owner == ctx.operator:
        return ()
    how = "its lease expired" if m.expired(time.time()) else "forced"
    return (f"{how}: this is {m.owner}'s maintenance lock; the takeover is written to the "
            "event log",)


# -- start ----------------------------------------------------------------------------------
def plan_start(ctx: OpContext, domain: str, reason: str, hours: float | None = None) -> Plan:
    group = ctx.domain_group(domain)
    ctx.require(group, "maintenance")
    now = time.time()
    for m in ctx.store.maintenance():
        if m.group == group:
            state = " (lease expired)" if m.expired(now) else ""
            raise Refused(f"group {group} already has domain {m.domain} in maintenance "
                          f"by {m.owner}{state}; it must be completed or cancelled first",
                          code="group-in-maintenance")
    domain_free(ctx, domain)
    busy = [b for b in ctx.store.bays(domain=domain) if b.job_id is not None]
    if busy:
        raise Refused(f"domain {domain} has running jobs (bay {busy[0].id}: job "
                      f"{busy[0].job_id}); wait for them", code="held-by-job")
    if not reason.strip():
        raise BadInput("--reason must say why the domain goes into maintenance")
    check_text(reason.strip(), "--reason")
    hours = _lease_hours(ctx, hours)
    others = [d.name for d in ctx.store.domains(group) if d.name != domain]
    return Plan("maintenance-start", f"Maintenance of {domain}",
                f"start maintenance of {domain} for {hours:g} h: {reason.strip()}",
                (f"lock {domain} (group {group}) for {ctx.operator}, lease {hours:g} h",
                 f"while held, profile operations touching {domain} are refused",
                 "its configuration may then change; complete propagates it to "
                 f"{', '.join(others) or 'no other domain'}; cancel reverts it"),
                MaintenanceStartParams(group=group, domain=domain, reason=reason.strip(), hours=hours),
                target=domain, reason=reason.strip(), confirm_label="Start")


def run_start(ctx: OpContext, job: JobContext, p: MaintenanceStartParams) -> str:
    now = time.time()
    m = Maintenance(p.domain, p.group, ctx.operator, p.reason, now, now + p.hours * 3600)
    ctx.store.start_maintenance(m)
    until = time.strftime('%Y-%m-%d %H:%M', time.localtime(m.expires))
    ctx.event("warning", f"domain:{p.domain}", "maintenance.started",
              f"{p.domain} in maintenance by {ctx.operator} until {until}: {m.reason}",
              job.job_id, domain=p.domain, owner=ctx.operator, expires=m.expires)
    return f"{p.domain} in maintenance until {until}"


# -- renew ----------------------------------------------------------------------------------
def plan_renew(ctx: OpContext, domain: str, hours: float | None = None, force: bool = False) -> Plan:
    m = held(ctx, domain, force)
    if m.owner != ctx.operator and not force:
        raise Refused(f"only {m.owner} renews this lease", code="needs-force",
                      hint="an admin can with --force")
    hours = _lease_hours(ctx, hours)
    return Plan("maintenance-renew", f"Renew maintenance of {domain}",
                f"renew maintenance of {domain} for {hours:g} h from now",
                (f"extend the lease on {domain} to {hours:g} h from now",),
                MaintenanceRenewParams(group=m.group, domain=domain, owner=m.owner, hours=hours),
                target=domain, warnings=_takeover_warning(ctx, m), confirm_label="Renew")


def run_renew(ctx: OpContext, job: JobContext, p: MaintenanceRenewParams) -> str:
    expires = time.time() + p.hours * 3600
    until = time.strftime('%Y-%m-%d %H:%M', time.localtime(expires))
    ctx.store.renew_maintenance(p.domain, expires)
    ctx.event("warning" if p.owner != ctx.operator else "info", f"domain:{p.domain}",
              "maintenance.renewed", f"{ctx.operator} renewed {p.owner}'s maintenance "
              f"of {p.domain} until {until}", job.job_id, domain=p.domain, expires=expires)
    return f"lease of {p.domain} renewed until {until}"


# -- complete -------------------------------------------------------------------------------
def plan_complete(ctx: OpContext, domain: str, force: bool = False) -> Plan:
    m = held(ctx, domain, force)
    config = ctx.domain(domain).config
    baseline = ctx.group(m.group).baseline
    others = tuple(d.name for d in ctx.store.domains(m.group) if d.name != domain)
    changes = config.changes(baseline)
    profiles = {p.name: p for p in ctx.store.profiles(m.group)}
    touched = {o: _touched(ctx, o, changes, profiles) for o in others}
    firmware = _firmware_target(ctx, domain, config.firmware, baseline.firmware)
    if firmware:
        staging.maintenance_driver(ctx, "stage firmware")
        for d in (domain, *others):  # never while a failover or a move holds one of its bays
            staging.busy_bay(ctx, d)
    steps = [f"back up {domain}", *_stage_lines(ctx, domain, firmware)]
    for o in others:
        steps += [f"back up {o}, apply the change: " + _listed(touched[o]),
                  *_stage_lines(ctx, o, firmware)]
    steps += [f"make it the new baseline of group {m.group}", f"release the lock on {domain}"]
    warnings = _takeover_warning(ctx, m) + _removed_in_use(ctx, m.group, config)
    if firmware:
        warnings += tuple(_restart_warning(ctx, d, firmware, pending) for d in (domain, *others)
                          if (pending := staging.pending(ctx, d, firmware)))
    return Plan("maintenance-complete", f"Complete maintenance of {domain}",
                f"complete maintenance of {domain}: propagate to "
                f"{', '.join(others) or 'no other domain'}", tuple(steps),
                MaintenanceCompleteParams(group=m.group, domain=domain, owner=m.owner,
                                          others=others, diff=tuple(c.text for c in changes),
                                          firmware=firmware),
                locks=tuple(f"domain:{d}" for d in (domain, *others)), target=domain,
                diff=Diff("Diff against the baseline", changes), warnings=warnings,
                danger=bool(warnings), confirm_label="Complete")


def _removed_in_use(ctx: OpContext, group: str, config: DomainConfig) -> tuple[str, ...]:
    """A warning per profile of ``group`` using a network or fabric ``config`` removes: its
    connections to it go offline (as the manager does it: the profile stays, its bay too)."""
    out = []
    for p in ctx.store.profiles(group):
        gone = [n for n in p.networks if n not in config.networks] + \
               [f for f in p.fabrics if f not in config.fabrics]
        if gone:
            bay = ctx.store.bay(p.bay) if p.bay else None
            where = "unplaced" if bay is None else f"on {bay.id}" + (
                " (running)" if bay.power == "on" else "")
            out.append(f"profile {p.name} {where} uses {', '.join(gone)}: its connections to "
                       "it go offline in every domain of the group")
    return tuple(out)


def _firmware_target(ctx: OpContext, domain: str, target: str, baseline: str) -> str:
    """The firmware complete stages on every domain of the group: the domain's configured
    version when it is a new baseline or its hardware was read running another; else ""."""
    if target != baseline or off_baseline(target, ctx.store.firmware(domain).values()):
        return target
    return ""


def _restart_warning(ctx: OpContext, domain: str, version: str, pending: list[str]) -> str:
    bays = staging.running_bays(ctx, domain, pending)
    return (f"firmware {version}: the interconnects of {domain} restart one enclosure at a "
            f"time; {len(bays)} running bay(s) lose their uplinks meanwhile"
            + (f" (e.g. {', '.join(bays[:3])})" if bays else ""))


def _stage_lines(ctx: OpContext, domain: str, version: str) -> list[str]:
    """The plan's staging steps of ``domain``: which bays each enclosure's restart touches."""
    if not version:
        return []
    pending = staging.pending(ctx, domain, version)
    return [f"stage {version} on {e.name} of {domain}: " + (
        f"its Onboard Administrator and interconnects restart, {staging.restarting(ctx, e.name)}"
        if e.name in pending else "already on it, read back only")
        for e in ctx.store.enclosures(domain)]


def _enclosures(ctx: OpContext, domain: str) -> list[str]:
    return [e.name for e in ctx.store.enclosures(domain)]


def _touched(ctx: OpContext, domain: str, changes: tuple[Change, ...],
             profiles: dict[str, Profile]) -> list[tuple[str, str]]:
    """(profile, bay) for each profile placed in ``domain`` that ``changes`` touch: one
    whose network or fabric (or a fabric's storage settings) changes, every one when the
    firmware does."""
    networks = {c.name for c in changes if c.kind == "network"}
    # a storage change is named FABRIC.SETTING
    fabrics = {c.name.partition(".")[0] for c in changes if c.kind in ("fabric", "storage")}
    firmware = any(c.kind == "firmware" for c in changes)
    out = []
    for bay in ctx.store.bays(domain=domain):
        p = profiles.get(bay.profile or "")
        if p and (firmware or networks & set(p.networks) or fabrics & set(p.fabrics)):
            out.append((p.name, bay.id))
    return out


def _listed(touched: list[tuple[str, str]], most: int = 6) -> str:
    if not touched:
        return "no profile touched"
    more = f" and {len(touched) - most} more" if len(touched) > most else ""
    return (f"{len(touched)} profile(s) touched: "
            f"{', '.join(f'{p} ({bay})' for p, bay in touched[:most])}{more}")


def audit_takeover(ctx: OpContext, job_id: int, domain: str, owner: str, action: str) -> None:
    if owner != ctx.operator:
        m = ctx.store.maintenance(domain)
        how = "after its lease expired" if m and m[0].expired(time.time()) else "with --force"
        ctx.event("warning", f"domain:{domain}", "maintenance.forced",
                  f"{ctx.operator} {action}s {owner}'s maintenance of {domain} {how}", job_id,
                  domain=domain, owner=owner)


def started_complete(ctx: OpContext, job: JobContext, p: MaintenanceCompleteParams) -> None:
    audit_takeover(ctx, job.job_id, p.domain, p.owner, "complete")


def push_config(ctx: OpContext, domain: str, config: DomainConfig) -> str:
    detail = ctx.driver.apply_domain_config(domain, config)
    driver = ctx.driver
    # firmware as read back, per component (read before the transaction: no driver call
    # ever runs inside one)
    versions = driver.firmware(domain, [e.name for e in ctx.store.enclosures(domain)]) \
        if isinstance(driver, DomainMaintenanceDriver) else {}
    with ctx.store.write():
        ctx.store.set_domain_config(domain, config)
        ctx.store.record_firmware(domain, versions)
    return detail


def _apply_to(ctx: OpContext, job: JobContext, other: str, config: DomainConfig) -> str:
    """Back ``other`` up, then push ``config`` to it: one step, so a resumed propagation
    never pushes to a domain it has not backed up."""
    saved = take(ctx, other, f"before propagation of maintenance job {job.job_id}", job.job_id)
    return f"backup {saved.id}; " + push_config(ctx, other, config)


def run_complete(ctx: OpContext, job: JobContext, p: MaintenanceCompleteParams) -> str:
    config = ctx.domain(p.domain).config
    baseline = ctx.group(p.group).baseline
    job.note(StepKey.diff_against_baseline(p.domain), "; ".join(p.diff) or "no change")
    backup_step(ctx, job, p.domain, f"before completing its maintenance (job {job.job_id})")
    if p.firmware:  # the domain in maintenance first: a failure there touches no other
        try:
            staging.stage(ctx, job, p.domain, p.firmware, _enclosures(ctx, p.domain), named=True)
        except staging.StageFailed as exc:
            raise OperationFailed(f"firmware staging stopped at {exc.enclosure} of {p.domain}: "
                                  f"{exc.reason}; no other domain touched, {p.domain} stays "
                                  "in maintenance") from None
    done: list[str] = []
    try:
        for other in p.others:
            job.step(StepKey.apply_to(other), partial(_apply_to, ctx, job, other, config))
            done.append(other)
            if p.firmware:
                staging.stage(ctx, job, other, p.firmware, _enclosures(ctx, other), named=True)
    except StepFailed as exc:
        for other in done:  # put the group back to one configuration
            job.step(StepKey.revert(other), partial(push_config, ctx, other, baseline))
        staged = (f"; firmware already staged stays as read back (bayops firmware compliance "
                  f"{p.group}), and completing again goes on from it") if p.firmware else ""
        raise OperationFailed(f"propagation stopped at {exc.name}: {exc.reason}; "
                              f"{', '.join(done) or 'no domain'} reverted, "
                              f"{p.domain} stays in maintenance{staged}") from None

    if isinstance(ctx.driver, ProfileManager):  # the manager keeps the baseline too (OneView: the LIG)
        manager = ctx.driver
        try:
            job.step(StepKey.make_manager_baseline(p.domain, p.group),
                     lambda: manager.make_baseline(p.domain, config))
        except StepFailed as exc:
            raise OperationFailed(f"the manager did not take {p.domain} as the baseline of {p.group}: "
                                  f"{exc.reason}; {', '.join(p.others) or 'no other domain'} changed, "
                                  f"{p.domain} stays in maintenance (complete it again)") from None

    def finish() -> str:
        with ctx.store.write():
            ctx.store.set_baseline(p.group, config)
            ctx.store.end_maintenance(p.domain)
        return f"group {p.group} baseline is now the configuration of {p.domain}"
    job.step(StepKey.set_baseline(), finish)
    ctx.event("info", f"domain:{p.domain}", "maintenance.completed",
              f"{p.domain} maintenance completed: {len(p.diff)} change(s) applied to "
              f"{len(p.others)} other domain(s) of {p.group}", job.job_id, domain=p.domain)
    return f"{len(p.diff)} change(s) propagated to {len(p.others)} domain(s)"


# -- cancel ---------------------------------------------------------------------------------
def plan_cancel(ctx: OpContext, domain: str, force: bool = False) -> Plan:
    m = held(ctx, domain, force)
    config = ctx.domain(domain).config
    baseline = ctx.group(m.group).baseline
    changes = config.changes(baseline)
    # firmware an upgrade staged on it goes back the same way, one enclosure at a time
    firmware = baseline.firmware \
        if off_baseline(baseline.firmware, ctx.store.firmware(domain).values()) else ""
    if firmware:
        staging.maintenance_driver(ctx, "stage firmware")
        staging.busy_bay(ctx, domain)
    return Plan("maintenance-cancel", f"Cancel maintenance of {domain}",
                f"cancel maintenance of {domain}: revert it to the group baseline",
                (f"back up {domain}", f"push the group baseline to {domain}",
                 *_stage_lines(ctx, domain, firmware),
                 f"release the lock on {domain}"),
                MaintenanceCancelParams(group=m.group, domain=domain, owner=m.owner,
                                        diff=tuple(c.text for c in changes), firmware=firmware),
                locks=(f"domain:{domain}",), target=domain,
                diff=Diff("Changes that will be reverted", changes, "(no change to revert)"),
                warnings=_takeover_warning(ctx, m), danger=True, confirm_label="Cancel it")


def started_cancel(ctx: OpContext, job: JobContext, p: MaintenanceCancelParams) -> None:
    audit_takeover(ctx, job.job_id, p.domain, p.owner, "cancel")


def run_cancel(ctx: OpContext, job: JobContext, p: MaintenanceCancelParams) -> str:
    domain = p.domain
    baseline = ctx.group(p.group).baseline
    backup_step(ctx, job, domain, f"before cancelling its maintenance (job {job.job_id})")
    try:
        job.step(StepKey.revert_to_baseline(domain), lambda: push_config(ctx, domain, baseline))
        if p.firmware:
            staging.stage(ctx, job, domain, p.firmware, _enclosures(ctx, domain), named=True)
    except StepFailed as exc:
        raise OperationFailed(f"could not revert {domain}: {exc.reason}; it stays in maintenance") from None

    def end() -> str:
        ctx.store.end_maintenance(domain)
        return "lock released"
    job.step(StepKey.end_maintenance(), end)
    ctx.event("info", f"domain:{domain}", "maintenance.cancelled",
              f"{domain} maintenance cancelled: {len(p.diff)} change(s) reverted", job.job_id,
              domain=domain)
    return f"{len(p.diff)} change(s) reverted"


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(MaintenanceCompleteParams, run_complete, resumable=True, started=started_complete),
    JobKind(MaintenanceCancelParams, run_cancel, resumable=True, started=started_cancel),
    # store-only changes: the job, its journal and the change commit together
    JobKind(MaintenanceStartParams, run_start, resumable=False, atomic=True),
    JobKind(MaintenanceRenewParams, run_renew, resumable=False, atomic=True),
)
