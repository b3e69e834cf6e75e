"""The core API: what the CLI and the dashboard call. No Textual, no printing.

``Core`` is a thin facade over the operations (``tui.core.ops``), the queries and the
job runner. Every change is ``plan_x(...) -> Plan`` then ``x(..., expect=plan)``: the
second re-plans under the store's write lock, refuses if the plan changed since it was
confirmed, and runs it as a journaled job that writes events naming the operator. The
service's routes and the remote client derive from these names (``tui.model.api``).
Each ops module is imported where it is used (``bayops status`` imports none of the
changes); the types the annotations name, when first read (``__getattr__``).
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.core import queries
from tui.core.api_cycle import CycleOps
from tui.core.api_story import StoryOps
from tui.core.api_upkeep import UpkeepOps
from tui.core.config import Config
from tui.core.driver_factory import make_driver
from tui.core.process import current_operator
from tui.core.runjob import RunJob
from tui.core.statepath import find_state
from tui.core.store import ChangeSet, Store
from tui.model.api import KIND, Api, action, derive, query
from tui.model.driver import DriverError, ProfileManager
from tui.model.entities import (
    Bay,
    DomainConfig,
    Event,
    GroupSummary,
    Job,
    Maintenance,
    Profile,
)
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.plan import Plan

if TYPE_CHECKING:
    from tui.core.monitor import Monitor
    from tui.core.ops.failover import Candidate
    from tui.core.ops.move import TargetChoice

__all__ = ["Core", "Plan", "current_operator"]
# The types the annotations name, from modules imported where used (tui.model.api reads them).
_LAZY = {"Candidate": "tui.core.ops.failover", "TargetChoice": "tui.core.ops.move"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


class Core(CycleOps, UpkeepOps, StoryOps):
    """One operator's handle on the fleet: a store, a driver and a config."""

    warnings: list[str]  # what the driver warned about at start
    mode = "embedded"  # this process is the whole system (tui.client.Client)
    server = ""  # no service answers: the faces say the config instead

    def subscribe(self, wake: Callable[[], None]) -> bool:
        """Embedded, nothing pushes changes: the reader polls the feed itself (False).
        A client of a service gets ``wake`` called at each change instead (True)."""
        return False

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, config: Config, state: str | None = None, operator: str | None = None,
             read_only: bool = False, resume: bool = True, patience: float = 30.0) -> Core:
        """``patience``: how long a write waits for a PostgreSQL server that went away."""
        store = Store(find_state(state, config), patience, read_only=read_only)
        path = store.where  # the file, or the database URL without its password
        warnings: list[str] = []
        driver = make_driver(config, store.path, warnings.append, store.read_only)
        core = cls(config, store, driver, operator or current_operator(), read_only)
        core.warnings = warnings
        deadline = time.monotonic() + 300
        while not store.initialised():  # one process builds; others wait, or take over
            if store.claim_build():     # from a builder that died
                core._build_fleet()
            elif time.monotonic() > deadline:
                raise Refused(f"state {path}: another bayops is still building the fleet",
                              code="busy")
            else:
                time.sleep(0.1)
        if store.meta("driver") != driver.name:
            raise BadInput(f"state {path} was made with the {store.meta('driver')} driver, "
                           f"the config asks for {driver.name}; use another --state")
        for message in warnings:  # e.g. TLS verification off for a BMC
            key = f"warned:{message}"
            if store.meta(key) is None and not store.read_only:  # logged once, on stderr always
                core.event("warning", "driver", "driver.warning", message)
                store.set_meta(key, "1")
        warnings.extend(store.warnings)  # the state's modes: on stderr at every start
        if resume and not read_only:
            core.resume_interrupted()
        return core

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings = []

    def _build_fleet(self) -> None:
        from tui.core.fleet import build_fleet, groups_from

        store, config, managed = self.store, self.config, None
        if isinstance(self.driver, ProfileManager):  # its profiles exist: adopted as they are
            from tui.core.ops import adopt  # never made from the pools

            managed = adopt.managed_now(self.driver)
        if not config.groups and isinstance(self.driver, ProfileManager):  # the manager's layout
            try:
                layout = self.driver.layout()
            except DriverError as exc:
                raise OperationFailed(f"cannot read the fleet's layout on the manager: {exc}",
                                      code="manager-unreachable") from None
            config = dataclasses.replace(config, groups=groups_from(layout))
        for problem in build_fleet(store, config, self.driver, managed):
            self.event("warning", "fleet", "fleet.discovery", problem)
        if managed is not None:
            builder = Core(self.config, store, self.driver, self.operator, system=True)
            adopt.adopt(builder, record=True, managed=managed)
        self.event("info", "fleet", "fleet.created",
                   f"fleet created from {self.config.path if self.config.groups else 'the appliance'}: "
                   f"{len(store.group_names())} "
                   f"groups, {len(store.bays())} bays ({self.driver.name} driver)")
        # The policy considers every event from here on, also those written before the
        # first monitor starts.
        store.set_meta("policy_cursor", str(store.last_event_seq()))

    def close(self) -> None:
        self.driver.close()
        self.store.close()

    def poller(self, apply_policy: bool = True, sweep_seconds: float = 0.0) -> Monitor:
        """This process polls the hardware and runs the policy (``bayops watch``, the
        dashboard): the monitor that does it."""
        from tui.core.monitor import Monitor

        return Monitor(self, apply_policy=apply_policy, sweep_seconds=sweep_seconds)

    def run_job(self) -> RunJob:
        """The job the next run will start (asked now: the newest job before it)."""
        return RunJob(self.jobs, self.operator)

    def server_info(self) -> dict[str, Any]:
        """What answers (``bayops info``): this process's config, state and the roles."""
        return {"config": str(self.config.path), "state": self.store.where,
                **self.store.file_modes(),
                "roles": {g: self.role(g) for g in self.store.group_names()}}

    # -- observing the hardware -------------------------------------------------------------
    def refresh(self, bay_ids: list[str] | None = None) -> list[str]:
        from tui.core.health import refresh

        return refresh(self, bay_ids)

    # -- queries --------------------------------------------------------------------------
    @query()
    def bays(self, group: str | None = None, domain: str | None = None,
             enclosure: str | None = None, health: str | None = None) -> list[Bay]:
        return queries.bays(self, group, domain, enclosure, health)

    @query()
    def profiles(self, group: str | None = None) -> list[Profile]:
        return self.store.profiles(group)

    @query()
    def groups(self) -> list[GroupSummary]:
        return queries.groups(self)

    @query()
    def glance(self) -> dict[str, Any]:
        """`bayops status`'s figures in one read (tui.core.store.glance) as plain values:
        ``groups``, ``drained``, and the ``driver`` and ``operator`` it prints. A client of
        a server asks this alone, and makes none of the model's classes (issue 22)."""
        from tui.core.store.glance import glance

        figures = glance(self.store.db)
        return {"driver": self.driver.name, "operator": self.operator,
                "groups": figures["groups"], "drained": figures["drained"]}

    @query()
    def maintenance(self) -> list[Maintenance]:
        return self.store.maintenance()

    @query()
    def maintenance_of(self, domain: str) -> Maintenance:
        held = self.store.maintenance(self.domain(domain).name)
        if not held:
            raise Refused(f"domain {domain} is not in maintenance", code="not-in-maintenance")
        return held[0]

    @query()
    def jobs(self, limit: int = 200) -> list[Job]:
        return self.store.jobs(limit)

    @query()
    def job(self, job_id: int) -> Job:
        return queries.job(self, job_id)

    @query()
    def events(self, since: int = 0, limit: int = 1000, newest: bool = False) -> list[Event]:
        """At most ``limit`` events after ``since``: the first ones, or the ``newest``."""
        return self.store.events(since, limit, newest)

    @query()
    def revision(self) -> int:
        """The change feed's newest revision."""
        return self.store.revision()

    @query()
    def changes(self, rev: int) -> ChangeSet:
        """What changed after revision ``rev`` (bounded; ``more`` says ask again)."""
        return self.store.changes_since(rev)

    @query()
    def last_event_seq(self) -> int:
        return self.store.last_event_seq()

    @query()
    def domain_config(self, domain: str) -> tuple[DomainConfig, DomainConfig]:
        return queries.domain_config(self, domain)

    @query("spares")  # the route's name from before changes and queries shared one namespace
    def spare_bays(self, group: str) -> list[Bay]:
        return queries.spares(self, group)

    @query("pools")
    def pool_usage(self) -> dict[str, dict[str, Any]]:
        from tui.core.ops import pools

        return pools.usage(self)

    @query()
    def move_targets(self, profile: str) -> list[TargetChoice]:
        from tui.core.ops import move

        return move.targets(self, profile)

    # -- jobs -----------------------------------------------------------------------------
    @query()
    def interrupted_jobs(self) -> list[Job]:
        from tui.core import runner

        return runner.interrupted_jobs(self)

    @action
    def resume_interrupted(self) -> list[tuple[Job, str]]:
        from tui.core import runner

        if not self.read_only and not runner.interrupted_jobs(self):
            return []  # every start asks: no need to import every operation to know
        from tui.core.ops.registry import job_kinds

        return runner.resume_interrupted(self, job_kinds())

    # -- changes: plan_x(...) -> Plan, then x(..., expect=plan) ------------------------------
    def plan_failover(self, bay: str, to: str | None = None, force: bool = False,
                      refresh: bool = False, force_unfit: str | None = None) -> Plan:
        """``refresh`` reads the live state of the bays involved first; ``force_unfit``
        names the state (critical, unknown) of a ``to`` the operator forces."""
        from tui.core.ops import failover

        if refresh:
            failover.refresh_involved(self, bay, to)
        return self._manager_rules(failover.plan(self, bay, to, force, force_unfit))

    @query()
    def failover_candidates(self, bay: str) -> list[Candidate]:
        """The spares of the bay's group ranked for its failover, each with why (not)."""
        from tui.core.ops import failover

        return failover.candidates(self, bay)

    def failover(self, bay: str, to: str | None = None, force: bool = False,
                 expect: Plan | None = None, force_unfit: str | None = None) -> Job:
        from tui.core.ops import failover

        failover.refresh_involved(self, bay, to)
        return self.execute(lambda: failover.plan(self, bay, to, force, force_unfit), expect)

    def plan_move(self, profile: str, to: str, force_unfit: str | None = None) -> Plan:
        """``force_unfit`` names the state (critical, unknown) of a target forced anyway."""
        from tui.core.ops import move

        return self._manager_rules(move.plan(self, profile, to, force_unfit))

    def _manager_rules(self, plan: Plan) -> Plan:
        """A manager that holds the profiles (OneView) has its own assignment rules: asked
        before the operator confirms, outside any transaction; the run asks again."""
        if isinstance(self.driver, ProfileManager) and plan.profile and plan.target:
            rule = self.driver.refusal(plan.profile, plan.target, plan.source)
            if rule:
                raise Refused(f"the appliance would refuse profile {plan.profile} on "
                              f"{plan.target}: {rule}", code="manager-rule")
        return plan

    def move(self, profile: str, to: str, expect: Plan | None = None,
             force_unfit: str | None = None) -> Job:
        from tui.core.ops import move

        return self.execute(lambda: move.plan(self, profile, to, force_unfit), expect)

    @action
    def ack(self, bays: list[str], comment: str = "") -> list[Bay]:
        """Acknowledge the bays (all or none): a recorded act, not a job."""
        from tui.core.ops import ack

        return ack.acknowledge(self, bays, comment)

    def plan_spares(self, group: str, add: list[str], remove: list[str]) -> Plan:
        from tui.core.ops import spares

        return spares.plan(self, group, add, remove)

    def spares(self, group: str, add: list[str], remove: list[str],
               expect: Plan | None = None) -> Job:
        from tui.core.ops import spares

        return self.execute(lambda: spares.plan(self, group, add, remove), expect)

    def plan_enclosure_add(self, group: str, enclosure: str, domain: str | None = None,
                           bays: int = 16) -> Plan:
        from tui.core.ops import enclosures

        return enclosures.plan(self, group, enclosure, domain, bays)

    def enclosure_add(self, group: str, enclosure: str, domain: str | None = None,
                      bays: int = 16, expect: Plan | None = None) -> Job:
        from tui.core.ops import enclosures

        return self.execute(lambda: enclosures.plan(self, group, enclosure, domain, bays), expect)

    def plan_policy(self, group: str, mode: str | None, window: str | None) -> Plan:
        from tui.core.ops import policy

        return policy.plan(self, group, mode, window)

    def policy(self, group: str, mode: str | None, window: str | None,
               expect: Plan | None = None) -> Job:
        from tui.core.ops import policy

        return self.execute(lambda: policy.plan(self, group, mode, window), expect)

    def plan_profile_create(self, name: str, group: str, networks: list[str] | None,
                            fabrics: list[str] | None, boot: str = "san", lun: int = 0) -> Plan:
        from tui.core.ops import profiles

        return profiles.plan_create(self, name, group, networks, fabrics, boot, lun)

    def profile_create(self, name: str, group: str, networks: list[str] | None,
                       fabrics: list[str] | None, boot: str = "san", lun: int = 0,
                       expect: Plan | None = None) -> Job:
        from tui.core.ops import profiles

        return self.execute(lambda: profiles.plan_create(self, name, group, networks, fabrics,
                                                         boot, lun), expect)

    def plan_profile_delete(self, name: str) -> Plan:
        from tui.core.ops import profiles

        return profiles.plan_delete(self, name)

    def profile_delete(self, name: str, expect: Plan | None = None) -> Job:
        from tui.core.ops import profiles

        return self.execute(lambda: profiles.plan_delete(self, name), expect)

    def plan_pools(self, kind: str, address: str, include: bool = False) -> Plan:
        from tui.core.ops import pools

        return pools.plan(self, kind, address, include)

    def pools(self, kind: str, address: str, include: bool = False,
              expect: Plan | None = None) -> Job:
        from tui.core.ops import pools

        return self.execute(lambda: pools.plan(self, kind, address, include), expect)

    def plan_sim_fault(self, bay: str, fault: str | None) -> Plan:
        from tui.core.ops import sim

        return sim.plan(self, bay, fault)

    def sim_fault(self, bay: str, fault: str | None, expect: Plan | None = None) -> str:
        """Not a job (see SimFaultParams): planned, checked against ``expect``, applied."""
        from tui.core.ops import sim

        return self.apply_now(sim.plan(self, bay, fault), expect, sim.apply)


def served(core: type[Core] | None = None) -> Api:
    """Every operation of ``core`` (the Core) the service offers and the client calls."""
    from tui.core.view import FleetReads

    return derive(core or Core, FleetReads)


def _audited(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` with each refusal it raises audited (OpContext.audit_refusal)."""
    @functools.wraps(method)
    def call(self: Core, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Refused as exc:
            named = [str(a) for a in (*args, *kwargs.values())
                     if isinstance(a, str | int | float) and not isinstance(a, bool)]
            self.audit_refusal(" ".join([method.__name__, *named])[:200], exc)
            raise
    return call


def _audited_names() -> list[str]:
    """Every plan, every run of a plan and every action of the Core's API (as ``derive``
    finds them, without reading signatures: this runs at import)."""
    plans = [n for n in dir(Core) if n.startswith("plan_")]
    actions = [n for n in dir(Core) if getattr(getattr(Core, n), KIND, None) == "action"]
    return [*plans, *(n.removeprefix("plan_") for n in plans), *actions]


# The one place refusals are audited, whichever face asked (the CLI, the dashboard, a
# service's caller).
for _name in _audited_names():
    setattr(Core, _name, _audited(getattr(Core, _name)))
