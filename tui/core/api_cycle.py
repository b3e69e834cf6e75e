"""The failure cycle's part of the Core (issue 14): the coverage what-if, rediscovery,
adoption, failback, evacuation and restore, the simulator's hardware. Same shape as
``Core``: queries, and for every change ``plan_x(...) -> Plan`` / ``x(..., expect=plan)``.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tui.core.context import OpContext
from tui.model.api import action, query
from tui.model.entities import Job
from tui.model.plan import Plan

if TYPE_CHECKING:
    from tui.core.ops.adopt import Adoption
    from tui.core.ops.coverage import Coverage, EnclosureCover
    from tui.core.ops.rediscover import Finding

# The types the annotations name, from modules imported where used (tui.model.api reads them).
_LAZY = {"Adoption": "tui.core.ops.adopt", "Coverage": "tui.core.ops.coverage",
         "EnclosureCover": "tui.core.ops.coverage", "Finding": "tui.core.ops.rediscover"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


class CycleOps(OpContext):
    # -- coverage (read-only) -----------------------------------------------------------------
    @query()
    def coverage(self, lose: str, group: str | None = None) -> Coverage:
        """Simulate the loss of a bay, an enclosure or a domain on a copy of the state."""
        from tui.core.ops import coverage

        return coverage.what_if(self, lose, group)

    @query()
    def coverage_enclosures(self, group: str | None = None) -> list[EnclosureCover]:
        """For every enclosure (of ``group``): does its group cover its loss?"""
        from tui.core.ops import coverage

        return coverage.enclosures(self, group)

    # -- rediscovery ------------------------------------------------------------------------------
    @action
    def rediscover(self, target: str | None = None, record: bool = True) -> list[Finding]:
        """Read what is in the bays (an enclosure, a bay, or all) and record what changed:
        observation, like the health sweep; ``record=False`` only reports."""
        from tui.core.ops import rediscover

        if record and self.read_only:
            record = False
        return rediscover.rediscover(self, target, record)

    # -- adoption (profiles that live in a manager: OneView) ---------------------------------------
    @action
    def adopt(self, record: bool = True) -> list[Adoption]:
        """Record the manager's profiles as they are (nothing is written to the manager);
        report the ones edited there since as drift; ``record=False`` only reports."""
        from tui.core.ops import adopt

        if record and self.read_only:
            record = False
        return adopt.adopt(self, record)

    def plan_clear_flag(self, bay: str) -> Plan:
        from tui.core.ops import rediscover

        return rediscover.plan_clear(self, bay)

    def clear_flag(self, bay: str, expect: Plan | None = None) -> Job:
        from tui.core.ops import rediscover

        return self.execute(lambda: rediscover.plan_clear(self, bay), expect)

    def plan_sim_hardware(self, bay: str, action: str, model: str | None = None) -> Plan:
        from tui.core.ops import sim

        return sim.plan_hardware(self, bay, action, model)

    def sim_hardware(self, bay: str, action: str, model: str | None = None,
                     expect: Plan | None = None) -> str:
        """Not a job (see SimHardwareParams): planned, checked against ``expect``, applied."""
        from tui.core.ops import sim

        return self.apply_now(sim.plan_hardware(self, bay, action, model), expect,
                              sim.apply_hardware)

    # -- failback -----------------------------------------------------------------------------------
    @query()
    def failback_profile(self, bay: str) -> str | None:
        """The profile a failback of ``bay`` means (``failback.profile_of_bay``)."""
        from tui.core.ops import failback

        return failback.profile_of_bay(self, bay)

    def plan_failback(self, profile: str) -> Plan:
        """``profile``: a profile, or a bay id (its failed-over profile, or the one whose
        home it is)."""
        from tui.core.ops import failback

        return failback.plan(self, profile)

    def failback(self, profile: str, expect: Plan | None = None) -> Job:
        from tui.core.ops import failback

        return self.execute(lambda: failback.plan(self, profile), expect)

    # -- evacuation and restore ----------------------------------------------------------------------
    def plan_evacuate(self, enclosure: str, to: str | None = None,
                      mapping: dict[str, str] | None = None, stop_on_failure: bool = True,
                      force: bool = False) -> Plan:
        from tui.core.ops import evacuate

        return evacuate.plan(self, enclosure, to, mapping, stop_on_failure, force)

    def evacuate(self, enclosure: str, to: str | None = None,
                 mapping: dict[str, str] | None = None, stop_on_failure: bool = True,
                 force: bool = False, expect: Plan | None = None) -> Job:
        from tui.core.ops import evacuate

        return self.execute(lambda: evacuate.plan(self, enclosure, to, mapping,
                                                  stop_on_failure, force), expect)

    def plan_restore(self, enclosure: str, stop_on_failure: bool = True,
                     force: bool = False) -> Plan:
        from tui.core.ops import evacuate

        return evacuate.plan_restore(self, enclosure, stop_on_failure, force)

    def restore(self, enclosure: str, stop_on_failure: bool = True, force: bool = False,
                expect: Plan | None = None) -> Job:
        from tui.core.ops import evacuate

        return self.execute(lambda: evacuate.plan_restore(self, enclosure, stop_on_failure,
                                                          force), expect)
