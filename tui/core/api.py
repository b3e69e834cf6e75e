"""The core API: what the CLI and the dashboard call. No Textual, no printing.

Every state change goes through here: it checks roles, read-only mode and the
invariants, runs as a journaled job, and writes events naming the operator.
"""
from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tui.core import roles
from tui.core.config import Config, find_state
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.core.fleet import build_fleet
from tui.core.maintenance import MaintenanceOps
from tui.core.jobs import JobContext, StepFailed, mark_interrupted
from tui.core.process import process_alive
from tui.model.entities import (
    Bay, DomainConfig, DomainSummary, EnclosureSummary, Event, GroupSummary, Job,
    Maintenance, Policy, Profile,
)
from tui.core.store import Store
from tui.model.driver import Driver, DriverError, NoAnswer


def current_operator() -> str:
    user = os.environ.get("BAYOPS_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


@dataclass(frozen=True)
class Plan:
    """What an operation will do, shown before the operator confirms it."""

    kind: str
    summary: str
    steps: tuple[str, ...]
    source: str | None = None
    target: str | None = None
    profile: str | None = None
    reason: str = ""
    warnings: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, "steps": list(self.steps),
                "source": self.source, "target": self.target, "profile": self.profile,
                "reason": self.reason, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class TargetChoice:
    bay: Bay
    valid: bool
    reason: str


# Called with a one-line description after every check passed and before anything
# changes; it raises (e.g. Refused) to stop. The CLI asks the operator here.
Confirm = Callable[[str], None] | None
HEALTH_SEVERITY = {"ok": "info", "warning": "warning", "critical": "critical", "unknown": "critical"}
RESUMABLE = ("failover", "move", "maintenance-complete", "maintenance-cancel", "enclosure-add")


class Core(MaintenanceOps):
    """One operator's handle on the fleet: a store, a driver and a config."""

    def __init__(self, config: Config, store: Store, driver: Driver, operator: str,
                 read_only: bool = False, system: bool = False):
        self.config = config
        self.store = store
        self.driver = driver
        self.operator = operator
        self.read_only = read_only
        # The auto-failover policy acts for the group-admins who set it, not as a user:
        # roles do not apply to it, and no login name can claim it.
        self.system = system
        self.warnings: list[str] = []  # what the driver warned about at start

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, config: Config, state: str | None = None, operator: str | None = None,
             read_only: bool = False, resume: bool = True) -> Core:
        from tui.core.driver_factory import make_driver

        path = find_state(state, config)
        store = Store(path)
        warnings: list[str] = []
        driver = make_driver(config, path, warnings.append)
        core = cls(config, store, driver, operator or current_operator(), read_only)
        core.warnings = warnings
        deadline = time.monotonic() + 300
        while not store.initialised():  # one process builds; others wait, or take over
            if store.claim_build():     # from a builder that died
                core._build_fleet()
            elif time.monotonic() > deadline:
                raise Refused(f"state {path}: another bayops is still building the fleet")
            else:
                time.sleep(0.1)
        if store.meta("driver") != driver.name:
            raise BadInput(f"state {path} was made with the {store.meta('driver')} driver, "
                           f"the config asks for {driver.name}; use another --state")
        for message in warnings:  # e.g. TLS verification off for a BMC
            key = f"warned:{message}"
            if store.meta(key) is None:  # in the log once, on stderr at every start
                store.add_event("warning", "driver", "driver.warning", message, core.operator)
                store.set_meta(key, "1")
        if resume and not read_only:
            core.resume_interrupted()
        return core

    def _build_fleet(self) -> None:
        store = self.store
        for problem in build_fleet(store, self.config, self.driver):
            store.add_event("warning", "fleet", "fleet.discovery", problem, self.operator)
        store.add_event("info", "fleet", "fleet.created",
                        f"fleet created from {self.config.path}: {len(store.group_names())} "
                        f"groups, {len(store.bays())} bays ({self.driver.name} driver)",
                        self.operator)
        # The policy considers every event from here on, also those written before the
        # first monitor starts.
        store.set_meta("policy_cursor", str(store.last_event_seq()))

    def close(self) -> None:
        self.driver.close()
        self.store.close()

    # -- small helpers ------------------------------------------------------------------
    def _event(self, severity: str, source: str, kind: str, message: str,
               job_id: int | None = None, operator: str | None = None) -> None:
        self.store.add_event(severity, source, kind, message, operator or self.operator, job_id)

    def _require(self, group: str, action: str) -> None:
        if self.system and not self.read_only:
            return
        roles.require(self.config, self.operator, group, action, self.read_only)

    def role(self, group: str) -> str:
        return roles.role_of(self.config, self.operator, group)

    def why_not(self, group: str, action: str) -> str:
        """Why this operator may not do ``action`` in ``group`` ('' when allowed)."""
        try:
            self._require(group, action)
        except Refused as exc:
            return str(exc)
        return ""

    def may(self, group: str, action: str) -> bool:
        return not (self.read_only and action != "view") and roles.allowed(
            self.config, self.operator, group, action)

    def _bay(self, bay_id: str) -> Bay:
        bay = self.store.bay(bay_id)
        if bay is None:
            raise BadInput(_unknown_bay(bay_id, self.store))
        return bay

    def _profile(self, name: str) -> Profile:
        profile = self.store.profile(name)
        if profile is None:
            raise BadInput(f"no profile named {name!r}")
        return profile

    def _group(self, name: str) -> tuple[DomainConfig, Policy]:
        row = self.store.group_row(name)
        if row is None:
            raise BadInput(f"no domain group named {name!r} (groups: {', '.join(self.store.group_names())})")
        return row

    def _domain_group(self, domain: str) -> str:
        group = self.store.domain_group(domain)
        if group is None:
            raise BadInput(f"no domain named {domain!r}")
        return group

    def _not_in_maintenance(self, *bays: Bay) -> None:
        for bay in bays:
            if bay.maintenance:
                raise Refused(f"domain {bay.domain} (bay {bay.id}) is in maintenance; "
                              "profile operations there wait until it is completed or cancelled")

    # -- observing the hardware -----------------------------------------------------------
    def refresh(self, bay_ids: list[str] | None = None) -> list[str]:
        """Read power and health from the driver into the store; returns changed bays.

        Compare-and-set: when several processes observe the same change, one records it
        (and its event), so the policy acts on it once.
        """
        bays = {b.id: b for b in self.store.bays(ids=bay_ids) if not b.empty}
        changed = []
        for bay_id, reading in self.driver.read(list(bays)).items():
            bay = bays[bay_id]
            new = (reading.power, reading.health)
            if new == (bay.power, bay.health):
                continue
            with self.store.write():
                if not self.store.compare_and_set_reading(bay_id, (bay.power, bay.health), new):
                    continue
                if reading.health != bay.health:
                    self.store.add_event(
                        HEALTH_SEVERITY[reading.health], f"bay:{bay_id}", "health.changed",
                        f"{bay_id} health {bay.health} -> {reading.health}"
                        + (f" ({reading.detail})" if reading.detail else ""), "monitor")
            changed.append(bay_id)
        return changed

    # -- queries --------------------------------------------------------------------------
    def bays(self, group: str | None = None, domain: str | None = None,
             enclosure: str | None = None, health: str | None = None) -> list[Bay]:
        if group is not None:
            self._group(group)
        if domain is not None:
            self._domain_group(domain)
        if health is not None and health not in ("ok", "warning", "critical", "unknown"):
            raise BadInput(f"health {health!r} is not one of ok, warning, critical, unknown")
        found = self.store.bays(group=group, domain=domain, enclosure=enclosure)
        if health is not None:
            found = [b for b in found if b.health == health and not b.empty]
        return found

    def bay(self, bay_id: str) -> Bay:
        return self._bay(bay_id)

    def profile(self, name: str) -> Profile:
        return self._profile(name)

    def profiles(self, group: str | None = None) -> list[Profile]:
        return self.store.profiles(group)

    def groups(self) -> list[GroupSummary]:
        counts = self.store.counts()
        maint = {m.domain: m for m in self.store.maintenance()}
        running = self.store.jobs(running_only=True)
        bays = self.store.bays()
        by_domain: dict[str, list[Bay]] = {}
        for bay in bays:
            by_domain.setdefault(bay.domain, []).append(bay)
        out = []
        for name in self.store.group_names():
            baseline, policy = self.store.group_row(name)
            domains = []
            for dname, _, config in self.store.domains(name):
                dbays = by_domain.get(dname, [])
                encs = []
                for ename, _, model, count in self.store.enclosures(dname):
                    ebays = [b for b in dbays if b.enclosure == ename]
                    encs.append(EnclosureSummary(
                        ename, model, count, sum(not b.empty for b in ebays),
                        sum(b.health == "critical" for b in ebays if not b.empty),
                        sum(b.health == "warning" for b in ebays if not b.empty)))
                domains.append(DomainSummary(
                    dname, name, tuple(encs), len(dbays),
                    sum(b.health == "critical" for b in dbays if not b.empty),
                    sum(b.health == "warning" for b in dbays if not b.empty),
                    sum(b.spare for b in dbays), maint.get(dname), config != baseline))
            c = counts.get(name, {})
            out.append(GroupSummary(
                name, policy, tuple(domains), c.get("bays", 0), c.get("servers", 0),
                c.get("profiles", 0), c.get("critical", 0), c.get("warning", 0),
                c.get("spares_ready", 0), c.get("spares", 0),
                sum(1 for j in running if j.params.get("group") == name), baseline))
        return out

    def maintenance(self) -> list[Maintenance]:
        return self.store.maintenance()

    def jobs(self, limit: int = 200) -> list[Job]:
        return self.store.jobs(limit)

    def job(self, job_id: int) -> Job:
        job = self.store.job(job_id)
        if job is None:
            raise BadInput(f"no job {job_id}")
        return job

    def events(self, since: int = 0, limit: int | None = None) -> list[Event]:
        return self.store.events(since, limit)

    def domain_config(self, domain: str) -> tuple[DomainConfig, DomainConfig]:
        """(the domain's configuration, its group's baseline)."""
        group = self._domain_group(domain)
        config = next(c for d, _, c in self.store.domains(group) if d == domain)
        return config, self.store.group_row(group)[0]

    # -- failover -------------------------------------------------------------------------
    def _spare_candidates(self, source: Bay, exclude: set[str]) -> list[tuple[Bay, str]]:
        """Usable spares for ``source``: same model and generation, healthy, off, free;
        same domain first, then the rest of the group."""
        out = []
        for bay in self.store.bays(group=source.group, spares_only=True):
            if bay.id in exclude or bay.id == source.id:
                continue
            if bay.model != source.model or bay.health != "ok" or bay.power != "off":
                continue
            if bay.job_id is not None or bay.maintenance or bay.profile is not None:
                continue
            where = "same domain" if bay.domain == source.domain else f"same group ({bay.domain})"
            out.append((bay, f"spare {bay.id}: {where}, model {bay.model}, health ok, power off"))
        out.sort(key=lambda c: (c[0].domain != source.domain, c[0].enclosure, c[0].number))
        return out

    def _why_no_spare(self, source: Bay) -> str:
        spares = self.store.bays(group=source.group, spares_only=True)
        if not spares:
            return f"the spare pool of group {source.group} is empty"
        reasons = []
        for b in spares:
            why = ("different model " + str(b.model) if b.model != source.model else
                   f"held by job {b.job_id}" if b.job_id else
                   "in maintenance" if b.maintenance else
                   f"health {b.health}" if b.health != "ok" else
                   f"power {b.power}" if b.power != "off" else "unusable")
            reasons.append(f"{b.id} {why}")
        return f"no usable spare in group {source.group} for a {source.model}: " + "; ".join(reasons)

    def _refresh_for_failover(self, bay_id: str, to: str | None) -> None:
        """Look at the live state of the source and the possible targets first."""
        source = self.store.bay(bay_id)
        if source is not None:
            ids = [bay_id] + [b.id for b in self.store.bays(group=source.group, spares_only=True)]
            if to and self.store.bay(to) is not None:
                ids.append(to)
            self.refresh(ids)

    def plan_failover(self, bay_id: str, to: str | None = None, force: bool = False,
                      refresh: bool = False) -> Plan:
        """What a failover would do. ``refresh`` reads the live state of the bays
        involved first (never inside a store transaction: it may talk to BMCs)."""
        if refresh:
            self._refresh_for_failover(bay_id, to)
        source = self._bay(bay_id)
        self._require(source.group, "failover")
        if source.profile is None:
            raise Refused(f"bay {bay_id} holds no profile: nothing to fail over")
        profile = self._profile(source.profile)
        if profile.boot_mode != "san":
            raise Refused(f"profile {profile.name} boots from local disk: failover needs "
                          "boot-from-SAN (move it by hand with `bayops move`)")
        if source.job_id is not None:
            raise Refused(f"bay {bay_id} is held by job {source.job_id}")
        if profile.job_id is not None:
            raise Refused(f"profile {profile.name} is held by job {profile.job_id}")
        self._not_in_maintenance(source)
        warnings = []
        if force:
            self._require(source.group, "force")
        healthy = source.health == "ok" and source.power != "unknown"
        if healthy and not force:
            raise Refused(f"bay {bay_id} is healthy (health ok, power {source.power}); "
                          "failover is for failed or suspect servers: add --force to fail over anyway")
        if healthy:
            warnings.append(f"forced: {bay_id} is healthy; its running workload is shut down "
                            "and restarts on the target")
        if to is not None:
            target = self._bay(to)
            reason = self._check_explicit_target(source, target, force, warnings)
        else:
            candidates = self._spare_candidates(source, set())
            if not candidates:
                raise Refused(self._why_no_spare(source))
            target, reason = candidates[0]
        power = ("power off the source (graceful, force after "
                 f"{self.config.graceful_deadline:.0f} s; fence it if it does not answer)")
        steps = (power, f"remove profile {profile.name} from {source.id}",
                 f"apply profile {profile.name} to {target.id}", f"power on {target.id}",
                 "update the spare pool, unlock")
        if len(self._spare_candidates(source, {target.id})) == 0:
            warnings.append(f"after this failover group {source.group} has no usable spare left")
        return Plan("failover", f"fail over {profile.name}: {source.id} -> {target.id}", steps,
                    source.id, target.id, profile.name, reason, tuple(warnings),
                    {"group": source.group, "source": source.id, "profile": profile.name,
                     "target": target.id, "reason": reason, "tried": []})

    def _check_explicit_target(self, source: Bay, target: Bay, force: bool,
                               warnings: list[str]) -> str:
        if target.id == source.id:
            raise BadInput("--to names the failing bay itself")
        if target.group != source.group:
            raise Refused(f"bay {target.id} is in group {target.group}, not {source.group}: "
                          "failover stays inside its domain group (use `bayops move`)")
        if target.empty:
            raise Refused(f"bay {target.id} is empty")
        if target.profile is not None:
            raise Refused(f"bay {target.id} holds profile {target.profile}")
        if target.job_id is not None:
            raise Refused(f"bay {target.id} is held by job {target.job_id}")
        self._not_in_maintenance(target)
        problems = []
        if target.model != source.model:
            problems.append(f"model {target.model} differs from {source.model}")
        if target.health != "ok":
            problems.append(f"health {target.health}")
        if target.power != "off":
            problems.append(f"power {target.power}")
        if problems and not force:
            raise Refused(f"bay {target.id}: {', '.join(problems)} (add --force to use it anyway)")
        warnings.extend(f"{target.id}: {p}" for p in problems)
        kind = "spare" if target.spare else "bay (not in the spare pool)"
        return f"chosen by the operator (--to): {kind} {target.id}, model {target.model}"

    def failover(self, bay_id: str, to: str | None = None, force: bool = False,
                 expect: str | None = None) -> Job:
        """``expect``: the target the operator confirmed; refused if the live state now
        picks another."""
        self._refresh_for_failover(bay_id, to)
        with self.store.write():
            plan = self.plan_failover(bay_id, to, force)
            if expect is not None and plan.target != expect:
                raise Refused(f"the best target is now {plan.target}, not the {expect} you "
                              "confirmed; nothing changed, look at the plan again")
            job_id = self.store.create_job(
                "failover", self.operator, plan.summary, plan.params,
                [f"bay:{plan.source}", f"profile:{plan.profile}", f"bay:{plan.target}"])
            self._event("warning", f"bay:{plan.source}", "failover.started",
                        f"job {job_id}: {plan.summary} ({plan.reason})", job_id)
        if force:
            self._event("warning", f"bay:{plan.source}", "failover.forced",
                        f"job {job_id}: started with --force", job_id)
        return self._run("failover", job_id)

    def _power_off_or_fence(self, bay_id: str) -> str:
        try:
            return self.driver.power_off(bay_id, self.config.graceful_deadline)
        except NoAnswer as exc:
            return f"{exc}; {self.driver.fence(bay_id)}"
        except DriverError as exc:
            return f"{exc}; {self.driver.fence(bay_id)}"

    def _run_failover(self, ctx: JobContext, job: Job) -> str:
        p = dict(job.params)
        source, name = p["source"], p["profile"]
        profile = self._profile(name)
        ctx.note(f"choose target {p['target']}", p["reason"])
        try:
            ctx.step(f"power off {source}", lambda: self._power_off_or_fence(source))
        except StepFailed as exc:
            self._event("critical", f"bay:{source}", "failover.aborted",
                        f"job {job.id}: could not power off or fence {source} ({exc.reason}); "
                        f"profile {name} stays on {source}", job.id)
            raise OperationFailed(f"failover aborted, nothing moved: {exc.reason}") from None
        self.store.set_reading(source, power="off")

        def clear_source() -> str:
            if self.store.profile(name).bay == source:
                self.driver.clear_profile(source)
                self.store.assign_profile(name, None)
            return f"profile {name} removed from {source}; held only by job {job.id} until applied"
        try:
            ctx.step(f"remove profile from {source}", clear_source)
        except StepFailed as exc:
            self._event("critical", f"bay:{source}", "failover.aborted",
                        f"job {job.id}: {exc.reason}; profile {name} stays on {source}", job.id)
            raise OperationFailed(f"failover aborted, profile stays on {source}: {exc.reason}") from None

        target, why = p["target"], []
        while target is not None:
            failure = self._place_profile(ctx, job.id, profile, target, len(p["tried"]) + 1)
            if failure is None:
                break
            p["tried"].append(target)
            why.append(failure)
            target = self._next_spare(job.id, source, p)
        if target is None:
            tried = "; ".join(why) or "none"
            self._event("critical", f"profile:{name}", "profile.unassigned",
                        f"job {job.id}: profile {name} is UNASSIGNED: no spare could take it "
                        f"({tried}); move it by hand", job.id)
            raise OperationFailed(f"profile {name} could not be placed ({tried}); "
                                  "it is unassigned, not lost")
        self._event("info", f"bay:{target}", "failover.done",
                    f"job {job.id}: profile {name} now runs on {target} (was {source})", job.id)
        self._warn_if_pool_empty(self._bay(source).group, job.id)
        return f"profile {name} moved {source} -> {target}"

    def _place_profile(self, ctx: JobContext, job_id: int, profile: Profile, target: str,
                       attempt: int) -> str | None:
        """Apply and power on; on failure take the profile back off and say why.

        Step names carry the attempt number, so a resumed job never mistakes one
        attempt's journal for another's; an attempt whose take-back is journaled is over.
        """
        tag = f"{target} (attempt {attempt})"
        if ctx.done(f"remove profile from {tag}"):
            return ctx.step(f"remove profile from {tag}", lambda: "")

        def apply() -> str:
            report = self.driver.apply_profile(target, profile)
            with self.store.write():
                self.store.set_spare(target, False)
                self.store.assign_profile(profile.name, target)
                if self.store.profile(profile.name).group != self._bay(target).group:
                    self.store.set_profile_group(profile.name, self._bay(target).group)
            return report.summary()
        try:
            ctx.step(f"apply profile to {tag}", apply)
            ctx.step(f"power on {tag}", lambda: self._power_on(target))
            return None
        except StepFailed as exc:
            failure = exc.reason
        self._event("warning", f"bay:{target}", "failover.target-failed",
                    f"job {job_id}: {failure}; {target} leaves the spare pool", job_id)

        def take_back() -> str:
            # Whatever the store says, the hardware may hold it (an apply that died
            # half-way): clearing is idempotent, so always clear.
            self.driver.clear_profile(target)
            with self.store.write():
                if self.store.profile(profile.name).bay == target:
                    self.store.assign_profile(profile.name, None)
                self.store.set_spare(target, False)
            return f"{failure}; profile {profile.name} taken back off {target}"
        try:
            ctx.step(f"remove profile from {tag}", take_back)
        except StepFailed as stuck:
            if not self._may_be_running(job_id, f"power on {tag}"):
                # It never booted: whatever is left on it is not on the wire. Move on, and
                # keep the bay out of the pool until someone clears it.
                with self.store.write():
                    if self.store.profile(profile.name).bay == target:
                        self.store.assign_profile(profile.name, None)
                    self.store.set_spare(target, False)
                self._event("warning", f"bay:{target}", "failover.target-not-cleared",
                            f"job {job_id}: could not clear {target} ({stuck.reason}); it never "
                            f"powered on; clear it before it is used again", job_id)
                return failure
            self._event("critical", f"profile:{profile.name}", "profile.stuck",
                        f"job {job_id}: {profile.name} could not be taken back off {target} "
                        f"({stuck.reason}); it is placed nowhere else", job_id)
            raise OperationFailed(f"{failure}; {profile.name} could not be taken back off "
                                  f"{target} ({stuck.reason}), so it is placed nowhere else: "
                                  f"fence {target}, then move the profile") from None
        return failure

    def _may_be_running(self, job_id: int, power_step: str) -> bool:
        """Did this power-on succeed, or die with an unknown outcome?"""
        return any(s.name == power_step and (s.state == "done" or s.detail.startswith("interrupted"))
                   for s in self.store.job(job_id).steps)

    def _power_on(self, bay_id: str) -> str:
        self.driver.power_on(bay_id)
        self.store.set_reading(bay_id, power="on")
        return f"{bay_id} powered on"

    def _next_spare(self, job_id: int, source: str, params: dict[str, Any]) -> str | None:
        with self.store.write():
            candidates = self._spare_candidates(self._bay(source), set(params["tried"]))
            if not candidates:
                self.store.set_job_params(job_id, params)
                return None
            bay, reason = candidates[0]
            self.store.add_locks(job_id, [f"bay:{bay.id}"])
            params["target"], params["reason"] = bay.id, reason
            self.store.set_job_params(job_id, params)
        JobContext(self.store, job_id).note(f"choose target {bay.id}", "next spare: " + reason)
        return bay.id

    def _warn_if_pool_empty(self, group: str, job_id: int | None) -> None:
        if self.store.counts(group).get(group, {}).get("spares_ready", 0) == 0:
            self._event("warning", f"group:{group}", "spares.empty",
                        f"group {group} has no usable spare left: the next failover there "
                        "will find nothing", job_id)

    # -- move -----------------------------------------------------------------------------
    def move_targets(self, profile_name: str) -> list[TargetChoice]:
        """Every bay with a server, each marked valid or with why not (for pickers)."""
        profile = self._profile(profile_name)
        out = []
        for bay in self.store.bays():
            if bay.empty:
                continue
            try:
                self._check_move_target(profile, bay)
                out.append(TargetChoice(bay, True, "spare: leaves the pool" if bay.spare else "free"))
            except (Refused, BadInput) as exc:
                out.append(TargetChoice(bay, False, str(exc)))
        return out

    def _check_move_target(self, profile: Profile, target: Bay) -> None:
        if target.empty:
            raise Refused(f"bay {target.id} is empty")
        if target.profile is not None:
            raise Refused(f"bay {target.id} holds profile {target.profile}"
                          + (" (it is already there)" if target.profile == profile.name else ""))
        if target.job_id is not None:
            raise Refused(f"bay {target.id} is held by job {target.job_id}")
        self._not_in_maintenance(target)
        if target.group != profile.group:
            baseline, _ = self.store.group_row(target.group)
            missing = [f"network {n}" for n in profile.networks if n not in baseline.networks]
            missing += [f"fabric {f}" for f in profile.fabrics if f not in baseline.fabrics]
            if missing:
                raise Refused(f"group {target.group} does not carry {', '.join(missing)} "
                              f"used by profile {profile.name}")

    def plan_move(self, profile_name: str, to: str) -> Plan:
        profile = self._profile(profile_name)
        target = self._bay(to)
        self._require(profile.group, "move")
        if target.group != profile.group:
            self._require(target.group, "move")
        if profile.job_id is not None:
            raise Refused(f"profile {profile.name} is held by job {profile.job_id}")
        source = self._bay(profile.bay) if profile.bay else None
        if source is not None:
            if source.job_id is not None:
                raise Refused(f"bay {source.id} is held by job {source.job_id}")
            self._not_in_maintenance(source)
        self._check_move_target(profile, target)
        steps = []
        if source:
            steps += [f"power off {source.id} (fence it if it does not answer)",
                      f"remove profile {profile.name} from {source.id}"]
        steps += [f"apply profile {profile.name} to {target.id}", f"power on {target.id}"]
        warnings = []
        if target.spare:
            warnings.append(f"{target.id} is a spare of group {target.group}: it leaves the pool")
        if target.group != profile.group:
            warnings.append(f"profile changes group: {profile.group} -> {target.group}; "
                            "its MACs, WWPNs and serial stay")
        if profile.boot_mode == "local":
            warnings.append(f"{profile.name} boots from local disk: its OS does not follow it")
        if source and source.model != target.model:
            warnings.append(f"model changes: {source.model} -> {target.model}")
        src = source.id if source else None
        return Plan("move", f"move {profile.name}: {src or 'unassigned'} -> {target.id}",
                    tuple(steps), src, target.id, profile.name, "chosen by the operator",
                    tuple(warnings), {"group": profile.group, "source": src,
                                      "profile": profile.name, "target": target.id,
                                      "from_group": profile.group})

    def move(self, profile_name: str, to: str) -> Job:
        with self.store.write():
            plan = self.plan_move(profile_name, to)
            locks = [f"profile:{plan.profile}", f"bay:{plan.target}"]
            if plan.source:
                locks.append(f"bay:{plan.source}")
            job_id = self.store.create_job("move", self.operator, plan.summary, plan.params, locks)
            self._event("info", f"profile:{plan.profile}", "move.started",
                        f"job {job_id}: {plan.summary}", job_id)
        return self._run("move", job_id)

    def _run_move(self, ctx: JobContext, job: Job) -> str:
        p = job.params
        name, source, target = p["profile"], p["source"], p["target"]
        profile = self._profile(name)
        if source:
            try:
                ctx.step(f"power off {source}", lambda: self._power_off_or_fence(source))
                self.store.set_reading(source, power="off")

                def clear() -> str:
                    if self.store.profile(name).bay == source:
                        self.driver.clear_profile(source)
                        self.store.assign_profile(name, None)
                    return f"profile {name} removed from {source}"
                ctx.step(f"remove profile from {source}", clear)
            except StepFailed as exc:
                raise OperationFailed(f"move aborted, profile stays on {source}: {exc.reason}") from None
        failure = self._place_profile(ctx, job.id, profile, target, 1)
        if failure is None:
            self._event("info", f"profile:{name}", "move.done",
                        f"job {job.id}: profile {name} now on {target}"
                        + (f" (group {p['from_group']} -> {self._bay(target).group})"
                           if self._bay(target).group != p["from_group"] else ""), job.id)
            return f"profile {name} moved to {target}"
        # Roll back: the profile goes home, with its original group.
        if source:
            self.store.set_profile_group(name, p["from_group"])
            if self._place_profile(ctx, job.id, self._profile(name), source, 2) is None:
                self._event("warning", f"profile:{name}", "move.rolled-back",
                            f"job {job.id}: {failure}; profile {name} is back on {source}", job.id)
                raise OperationFailed(f"{failure}; move rolled back, {name} is back on {source}")
        self._event("critical", f"profile:{name}", "profile.unassigned",
                    f"job {job.id}: profile {name} is UNASSIGNED after a failed move; "
                    "move it by hand", job.id)
        raise OperationFailed(f"{failure}; {name} could not go back, it is unassigned, not lost")

    # -- running and resuming jobs ----------------------------------------------------------
    def _run(self, kind: str, job_id: int) -> Job:
        runner = {"failover": self._run_failover, "move": self._run_move,
                  "maintenance-complete": self._run_complete,
                  "maintenance-cancel": self._run_cancel,
                  "enclosure-add": self._run_enclosure_add}[kind]
        job = self.store.job(job_id)
        try:
            result = runner(JobContext(self.store, job_id), job)
        except (OperationFailed, StepFailed) as exc:  # StepFailed: a revert that failed too
            self.store.finish_job(job_id, "failed")
            self._event("warning", f"job:{job_id}", "job.failed", f"job {job_id} failed: {exc}", job_id)
            raise OperationFailed(f"job {job_id}: {exc}") from None
        except BaseException:
            # A bug or an interrupt: leave the job journaled and running so that
            # `bayops jobs resume` finishes it; its locks keep others off meanwhile.
            raise
        self.store.finish_job(job_id, "done")
        self._event("info", f"job:{job_id}", "job.done", f"job {job_id} done: {result}", job_id)
        return self.store.job(job_id)

    def interrupted_jobs(self) -> list[Job]:
        owners = self.store.job_owners()
        return [j for j in self.store.jobs(running_only=True)
                if not process_alive(*owners.get(j.id, (j.pid, None)))]

    def resume_interrupted(self) -> list[tuple[Job, str]]:
        """Finish (or roll back) jobs whose process died. Returns (job, outcome) pairs."""
        if self.read_only:
            raise Refused("read-only mode: interrupted jobs are left for `bayops jobs resume`")
        out = []
        for job in self.interrupted_jobs():
            if not self.store.claim_job(job.id, job.pid):
                continue  # another process is resuming it
            n = mark_interrupted(self.store, job.id, job.pid)
            self._event("warning", f"job:{job.id}", "job.resumed",
                        f"job {job.id} ({job.summary}) resumed after process {job.pid} died"
                        f" ({n} step(s) interrupted)", job.id)
            if job.kind not in RESUMABLE:
                # Single store changes: each step landed whole or not at all; the job ends.
                self.store.finish_job(job.id, "failed")
                out.append((self.store.job(job.id), "interrupted; see its journal"))
                continue
            try:
                done = self._run(job.kind, job.id)
                out.append((done, "done"))
            except OperationFailed as exc:
                out.append((self.store.job(job.id), str(exc)))
            except Exception as exc:  # a bug must not stop every later bayops from starting
                self._event("critical", f"job:{job.id}", "job.resume-failed",
                            f"job {job.id} could not be resumed ({exc!r}); it keeps its locks "
                            "and stays journaled for `bayops jobs resume`", job.id)
                out.append((self.store.job(job.id), f"resume failed: {exc!r}"))
        return out

    # -- spares ---------------------------------------------------------------------------
    def spares(self, group: str) -> list[Bay]:
        self._group(group)
        return self.store.bays(group=group, spares_only=True)

    def change_spares(self, group: str, add: list[str], remove: list[str],
                      confirm: Confirm = None) -> Job:
        summary, bays = self._check_spares(group, add, remove)
        if confirm:
            confirm(summary)
        # Checked again and changed in one transaction: a move landing in between cannot
        # slip a profile onto a bay that is becoming a spare.
        with self.store.write():
            summary, bays = self._check_spares(group, add, remove)

            def run(ctx: JobContext, job_id: int) -> str:
                for bay_id in add:
                    ctx.step(f"add spare {bay_id}", lambda b=bay_id: self._set_spare(b, True, job_id))
                for bay_id in remove:
                    ctx.step(f"remove spare {bay_id}",
                             lambda b=bay_id: self._set_spare(b, False, job_id))
                return summary
            return self._quick_job("spares", summary, {"group": group},
                                   [f"bay:{b}" for b in bays], run)

    def check_spares(self, group: str, add: list[str], remove: list[str]) -> str:
        """What change_spares would do (one line), or the refusal it would raise."""
        return self._check_spares(group, add, remove)[0]

    def _check_spares(self, group: str, add: list[str], remove: list[str]) -> tuple[str, list[str]]:
        self._group(group)
        self._require(group, "spares")
        bays = {}
        for bay_id in add + remove:
            bay = self._bay(bay_id)
            if bay.group != group:
                raise BadInput(f"bay {bay_id} is in group {bay.group}, not {group}")
            bays[bay_id] = bay
        for bay_id in add:
            bay = bays[bay_id]
            if bay.empty:
                raise Refused(f"bay {bay_id} is empty: a spare needs a server")
            if bay.profile:
                raise Refused(f"bay {bay_id} holds profile {bay.profile}: a spare holds none")
            if bay.power != "off":
                raise Refused(f"bay {bay_id} is powered {bay.power}: a spare must be powered off")
            if bay.health != "ok":
                raise Refused(f"bay {bay_id} is {bay.health}: a spare must be healthy")
            if bay.job_id is not None:
                raise Refused(f"bay {bay_id} is held by job {bay.job_id}")
            if bay.spare:
                raise Refused(f"bay {bay_id} is already a spare")
        for bay_id in remove:
            if not bays[bay_id].spare:
                raise Refused(f"bay {bay_id} is not a spare of {group}")
        parts = ([f"add {', '.join(add)}"] if add else []) + \
                ([f"remove {', '.join(remove)}"] if remove else [])
        return f"spare pool of {group}: {'; '.join(parts)}", list(bays)

    def _set_spare(self, bay_id: str, spare: bool, job_id: int) -> str:
        self.store.set_spare(bay_id, spare)
        self._event("info", f"bay:{bay_id}", "spares.changed",
                    f"{bay_id} {'added to' if spare else 'removed from'} the spare pool", job_id)
        return f"{bay_id} {'is' if spare else 'is no longer'} a spare"

    @contextmanager
    def _journaled(self, kind: str, summary: str, params: dict[str, Any],
                   locks: list[str] = ()) -> Iterator[int]:
        """A one-step job for a change that only touches the store: the job, its journal
        and the change commit in one transaction, so no crash can split them, and a
        refusal raised inside rolls all of it back."""
        with self.store.write():
            job_id = self.store.create_job(kind, self.operator, summary, params, list(locks))
            seq = self.store.start_step(job_id, summary)
            yield job_id
            self.store.finish_step(job_id, seq, "done", summary)
            self.store.finish_job(job_id, "done")

    def _quick_job(self, kind: str, summary: str, params: dict[str, Any], locks: list[str],
                   run) -> Job:
        """A short job whose steps are store changes: journaled like the long ones."""
        job_id = self.store.create_job(kind, self.operator, summary, params, locks)
        try:
            run(JobContext(self.store, job_id), job_id)
        except StepFailed as exc:
            self.store.finish_job(job_id, "failed")
            raise OperationFailed(f"job {job_id}: {exc}") from None
        self.store.finish_job(job_id, "done")
        return self.store.job(job_id)


def _unknown_bay(bay_id: str, store: Store) -> str:
    enclosure, _, number = bay_id.partition("/")
    if not number:
        return f"{bay_id!r} is not a bay: bays are named <enclosure>/<n>, e.g. enc-w1/7"
    found = [e for e in store.enclosures() if e[0] == enclosure]
    if not found:
        return f"no enclosure named {enclosure!r} (bay {bay_id})"
    if not number.isdigit():
        return f"bay number {number!r} is not a number"
    return f"bay {bay_id} is out of range: {enclosure} has bays 1..{found[0][3]}"
