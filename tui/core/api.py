"""The core API: what the CLI and the dashboard call. No Textual, no printing.

``Core`` is a thin facade over the operations (``tui.core.ops``), the queries and the
job runner. Every change is ``plan_x(...) -> Plan`` then ``x(..., expect=plan)``: the
second re-plans under the store's write lock, refuses if the plan changed since it was
confirmed, and runs it as a journaled job that writes events naming the operator.
"""
from __future__ import annotations

import dataclasses
import getpass
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.core import archive as archive_files
from tui.core import queries, runner
from tui.core.api_cycle import CycleFacade
from tui.core.api_upkeep import UpkeepFacade
from tui.core.config import Config
from tui.core.driver_factory import make_driver
from tui.core.fleet import build_fleet, groups_from
from tui.core.health import refresh
from tui.core.ops import (
    ack,
    archive,
    domain,
    enclosures,
    failover,
    maintenance,
    move,
    policy,
    pools,
    profiles,
    sim,
    spares,
)
from tui.core.ops.adopt import adopt, managed_now
from tui.core.ops.move import TargetChoice
from tui.core.ops.registry import JOB_KINDS
from tui.core.roles import check_person
from tui.core.statepath import find_state
from tui.core.store import ChangeSet, Store
from tui.model.driver import DriverError, ProfileManager
from tui.model.entities import (
    ArchiveRecord,
    Bay,
    DomainConfig,
    Event,
    GroupSummary,
    Job,
    Maintenance,
    Profile,
)
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import SimFaultParams
from tui.model.plan import Plan

__all__ = ["Core", "Plan", "TargetChoice", "current_operator"]


def current_operator() -> str:
    user = os.environ.get("BAYOPS_USER")
    if user:  # it labels who acts: a person's name, so no one passes for "policy:auto"
        return check_person(user, "BAYOPS_USER operator")
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


class Core(CycleFacade, UpkeepFacade):
    """One operator's handle on the fleet: a store, a driver and a config."""

    warnings: list[str]  # what the driver warned about at start
    remote = False  # tui.client.remote.RemoteCore says True: a `bayops serve` answers

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
        store = self.store
        # A manager's profiles exist: adopted as they are, never made from the pools.
        managed = managed_now(self.driver) if isinstance(self.driver, ProfileManager) else None
        config = self.config
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
            adopt(builder, record=True, managed=managed)
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

    def execute(self, replan: Callable[[], Plan], expect: Plan | None) -> Job:
        return runner.execute(self, JOB_KINDS, replan, expect)

    # -- observing the hardware -------------------------------------------------------------
    def refresh(self, bay_ids: list[str] | None = None) -> list[str]:
        return refresh(self, bay_ids)

    # -- queries --------------------------------------------------------------------------
    def bays(self, group: str | None = None, domain: str | None = None,
             enclosure: str | None = None, health: str | None = None) -> list[Bay]:
        return queries.bays(self, group, domain, enclosure, health)

    def profiles(self, group: str | None = None) -> list[Profile]:
        return self.store.profiles(group)

    def groups(self) -> list[GroupSummary]:
        return queries.groups(self)

    def maintenance(self) -> list[Maintenance]:
        return self.store.maintenance()

    def maintenance_of(self, domain: str) -> Maintenance:
        held = self.store.maintenance(self.domain(domain).name)
        if not held:
            raise Refused(f"domain {domain} is not in maintenance", code="not-in-maintenance")
        return held[0]

    def jobs(self, limit: int = 200) -> list[Job]:
        return self.store.jobs(limit)

    def job(self, job_id: int) -> Job:
        return queries.job(self, job_id)

    def events(self, since: int = 0, limit: int = 1000, newest: bool = False) -> list[Event]:
        """At most ``limit`` events after ``since``: the first ones, or the ``newest``."""
        return self.store.events(since, limit, newest)

    def revision(self) -> int:
        """The change feed's newest revision."""
        return self.store.revision()

    def changes(self, rev: int) -> ChangeSet:
        """What changed after revision ``rev`` (bounded; ``more`` says ask again)."""
        return self.store.changes_since(rev)

    def last_event_seq(self) -> int:
        return self.store.last_event_seq()

    def domain_config(self, domain: str) -> tuple[DomainConfig, DomainConfig]:
        return queries.domain_config(self, domain)

    def spares(self, group: str) -> list[Bay]:
        return queries.spares(self, group)

    def pools(self) -> dict[str, dict[str, Any]]:
        return pools.usage(self)

    def move_targets(self, profile: str) -> list[TargetChoice]:
        return move.targets(self, profile)

    # -- jobs -----------------------------------------------------------------------------
    def interrupted_jobs(self) -> list[Job]:
        return runner.interrupted_jobs(self)

    def resume_interrupted(self) -> list[tuple[Job, str]]:
        return runner.resume_interrupted(self, JOB_KINDS)

    # -- changes: plan_x(...) -> Plan, then x(..., expect=plan) ------------------------------
    def plan_failover(self, bay: str, to: str | None = None, force: bool = False,
                      refresh: bool = False, force_unfit: str | None = None) -> Plan:
        """``refresh`` reads the live state of the bays involved first; ``force_unfit``
        names the state (critical, unknown) of a ``to`` the operator forces."""
        if refresh:
            failover.refresh_involved(self, bay, to)
        return self._manager_rules(failover.plan(self, bay, to, force, force_unfit))

    def failover_candidates(self, bay: str) -> list[failover.Candidate]:
        """The spares of the bay's group ranked for its failover, each with why (not)."""
        return failover.candidates(self, bay)

    def failover(self, bay: str, to: str | None = None, force: bool = False,
                 expect: Plan | None = None, force_unfit: str | None = None) -> Job:
        failover.refresh_involved(self, bay, to)
        return self.execute(lambda: failover.plan(self, bay, to, force, force_unfit), expect)

    def plan_move(self, profile: str, to: str, force_unfit: str | None = None) -> Plan:
        """``force_unfit`` names the state (critical, unknown) of a target forced anyway."""
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
        return self.execute(lambda: move.plan(self, profile, to, force_unfit), expect)

    def ack(self, bays: list[str], comment: str = "") -> list[Bay]:
        """Acknowledge the bays (all or none): a recorded act, not a job."""
        return ack.acknowledge(self, bays, comment)

    def plan_spares(self, group: str, add: list[str], remove: list[str]) -> Plan:
        return spares.plan(self, group, add, remove)

    def change_spares(self, group: str, add: list[str], remove: list[str],
                      expect: Plan | None = None) -> Job:
        return self.execute(lambda: spares.plan(self, group, add, remove), expect)

    def plan_maintenance_start(self, domain: str, reason: str, hours: float | None = None) -> Plan:
        return maintenance.plan_start(self, domain, reason, hours)

    def start_maintenance(self, domain: str, reason: str, hours: float | None = None,
                          expect: Plan | None = None) -> Job:
        return self.execute(lambda: maintenance.plan_start(self, domain, reason, hours), expect)

    def plan_maintenance_renew(self, domain: str, hours: float | None = None,
                               force: bool = False) -> Plan:
        return maintenance.plan_renew(self, domain, hours, force)

    def renew_maintenance(self, domain: str, hours: float | None = None, force: bool = False,
                          expect: Plan | None = None) -> Job:
        return self.execute(lambda: maintenance.plan_renew(self, domain, hours, force), expect)

    def plan_complete(self, domain: str, force: bool = False) -> Plan:
        return maintenance.plan_complete(self, domain, force)

    def complete_maintenance(self, domain: str, force: bool = False,
                             expect: Plan | None = None) -> Job:
        return self.execute(lambda: maintenance.plan_complete(self, domain, force), expect)

    def plan_cancel(self, domain: str, force: bool = False) -> Plan:
        return maintenance.plan_cancel(self, domain, force)

    def cancel_maintenance(self, domain: str, force: bool = False,
                           expect: Plan | None = None) -> Job:
        return self.execute(lambda: maintenance.plan_cancel(self, domain, force), expect)

    def plan_domain_set(self, domain_name: str, key: str, value: str, force: bool = False) -> Plan:
        return domain.plan_set(self, domain_name, key, value, force)

    def set_domain(self, domain_name: str, key: str, value: str, force: bool = False,
                   expect: Plan | None = None) -> Job:
        return self.execute(lambda: domain.plan_set(self, domain_name, key, value, force), expect)

    def plan_enclosure_add(self, group: str, enclosure: str, domain: str | None = None,
                           bays: int = 16) -> Plan:
        return enclosures.plan(self, group, enclosure, domain, bays)

    def add_enclosure(self, group: str, enclosure: str, domain: str | None = None,
                      bays: int = 16, expect: Plan | None = None) -> Job:
        return self.execute(lambda: enclosures.plan(self, group, enclosure, domain, bays), expect)

    def plan_policy(self, group: str, mode: str | None, window: str | None) -> Plan:
        return policy.plan(self, group, mode, window)

    def set_policy(self, group: str, mode: str | None, window: str | None,
                   expect: Plan | None = None) -> Job:
        return self.execute(lambda: policy.plan(self, group, mode, window), expect)

    def plan_profile_create(self, name: str, group: str, networks: list[str] | None,
                            fabrics: list[str] | None, boot: str = "san", lun: int = 0) -> Plan:
        return profiles.plan_create(self, name, group, networks, fabrics, boot, lun)

    def create_profile(self, name: str, group: str, networks: list[str] | None,
                       fabrics: list[str] | None, boot: str = "san", lun: int = 0,
                       expect: Plan | None = None) -> Job:
        return self.execute(lambda: profiles.plan_create(self, name, group, networks, fabrics,
                                                         boot, lun), expect)

    def plan_profile_delete(self, name: str) -> Plan:
        return profiles.plan_delete(self, name)

    def delete_profile(self, name: str, expect: Plan | None = None) -> Job:
        return self.execute(lambda: profiles.plan_delete(self, name), expect)

    def plan_pools(self, kind: str, address: str, include: bool = False) -> Plan:
        return pools.plan(self, kind, address, include)

    def exclude_address(self, kind: str, address: str, include: bool = False,
                        expect: Plan | None = None) -> Job:
        return self.execute(lambda: pools.plan(self, kind, address, include), expect)

    def plan_archive(self, before: float, to: str | None = None) -> Plan:
        return archive.plan(self, before, to)

    def archive_events(self, before: float, to: str | None = None,
                       expect: Plan | None = None) -> Job:
        return self.execute(lambda: archive.plan(self, before, to), expect)

    def archives(self) -> list[ArchiveRecord]:
        return self.store.archives()

    def verify_archives(self, files: list[str] | None = None) -> archive_files.Verification:
        """Recorded archives and the live log (no ``files``), or the given files."""
        return archive_files.verify(self.store, [Path(f) for f in files] if files else None)

    def plan_sim_fault(self, bay: str, fault: str | None) -> Plan:
        return sim.plan(self, bay, fault)

    def sim_fault(self, bay: str, fault: str | None, expect: Plan | None = None) -> str:
        """Not a job (see SimFaultParams): planned, checked against ``expect``, applied."""
        plan = sim.plan(self, bay, fault)
        if expect is not None:
            runner.check_unchanged(expect, plan)
        assert isinstance(plan.params, SimFaultParams)
        return sim.apply(self, plan.params)
