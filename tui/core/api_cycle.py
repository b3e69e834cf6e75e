"""The failure cycle's part of the Core facade (issue 14): the coverage what-if,
rediscovery, failback, evacuation and restore. Same shape as the rest of ``Core``:
queries, and for every change ``plan_x(...) -> Plan`` / ``x(..., expect=plan) -> Job``.
"""
from __future__ import annotations

from collections.abc import Callable

from tui.core import runner
from tui.core.context import OpContext
from tui.core.ops import adopt as adoption
from tui.core.ops import coverage as cover
from tui.core.ops import evacuate, failback, sim
from tui.core.ops import rediscover as rediscovery
from tui.core.ops.adopt import Adoption
from tui.core.ops.coverage import Coverage, EnclosureCover
from tui.core.ops.rediscover import Finding
from tui.model.entities import Job
from tui.model.params import SimHardwareParams
from tui.model.plan import Plan


class CycleFacade(OpContext):
    def execute(self, replan: Callable[[], Plan], expect: Plan | None) -> Job:
        raise NotImplementedError  # Core runs plans through the job runner

    # -- coverage (read-only) -----------------------------------------------------------------
    def coverage(self, lose: str, group: str | None = None) -> Coverage:
        """Simulate the loss of a bay, an enclosure or a domain on a copy of the state."""
        return cover.what_if(self, lose, group)

    def coverage_enclosures(self, group: str | None = None) -> list[EnclosureCover]:
        """For every enclosure (of ``group``): does its group cover its loss?"""
        return cover.enclosures(self, group)

    # -- rediscovery ------------------------------------------------------------------------------
    def rediscover(self, target: str | None = None, record: bool = True) -> list[Finding]:
        """Read what is in the bays (an enclosure, a bay, or all) and record what changed:
        observation, like the health sweep; ``record=False`` only reports."""
        if record and self.read_only:
            record = False
        return rediscovery.rediscover(self, target, record)

    # -- adoption (profiles that live in a manager: OneView) ---------------------------------------
    def adopt(self, record: bool = True) -> list[Adoption]:
        """Record the manager's profiles as they are (nothing is written to the manager);
        report the ones edited there since as drift; ``record=False`` only reports."""
        if record and self.read_only:
            record = False
        return adoption.adopt(self, record)

    def plan_clear_flag(self, bay: str) -> Plan:
        return rediscovery.plan_clear(self, bay)

    def clear_flag(self, bay: str, expect: Plan | None = None) -> Job:
        return self.execute(lambda: rediscovery.plan_clear(self, bay), expect)

    def plan_sim_hardware(self, bay: str, action: str, model: str | None = None) -> Plan:
        return sim.plan_hardware(self, bay, action, model)

    def sim_hardware(self, bay: str, action: str, model: str | None = None,
                     expect: Plan | None = None) -> str:
        """Not a job (see SimHardwareParams): planned, checked against ``expect``, applied."""
        plan = sim.plan_hardware(self, bay, action, model)
        if expect is not None:
            runner.check_unchanged(expect, plan)
        assert isinstance(plan.params, SimHardwareParams)
        return sim.apply_hardware(self, plan.params)

    # -- failback -----------------------------------------------------------------------------------
    def failback_profile(self, bay: str) -> str | None:
        """The profile a failback of ``bay`` means (``failback.profile_of_bay``)."""
        return failback.profile_of_bay(self, bay)

    def plan_failback(self, profile: str) -> Plan:
        """``profile``: a profile, or a bay id (its failed-over profile, or the one whose
        home it is)."""
        return failback.plan(self, profile)

    def failback(self, profile: str, expect: Plan | None = None) -> Job:
        return self.execute(lambda: failback.plan(self, profile), expect)

    # -- evacuation and restore ----------------------------------------------------------------------
    def plan_evacuate(self, enclosure: str, to: str | None = None,
                      mapping: dict[str, str] | None = None, stop_on_failure: bool = True,
                      force: bool = False) -> Plan:
        return evacuate.plan(self, enclosure, to, mapping, stop_on_failure, force)

    def evacuate(self, enclosure: str, to: str | None = None,
                 mapping: dict[str, str] | None = None, stop_on_failure: bool = True,
                 force: bool = False, expect: Plan | None = None) -> Job:
        return self.execute(lambda: evacuate.plan(self, enclosure, to, mapping,
                                                  stop_on_failure, force), expect)

    def plan_restore(self, enclosure: str, stop_on_failure: bool = True,
                     force: bool = False) -> Plan:
        return evacuate.plan_restore(self, enclosure, stop_on_failure, force)

    def restore(self, enclosure: str, stop_on_failure: bool = True, force: bool = False,
                expect: Plan | None = None) -> Job:
        return self.execute(lambda: evacuate.plan_restore(self, enclosure, stop_on_failure,
                                                          force), expect)
