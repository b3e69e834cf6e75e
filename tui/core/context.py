"""What every operation works with: the store, the driver, the config and who acts.

``OpContext`` holds the checks that operations share (roles, read-only mode, names that
must exist, maintenance) and the event writer. Operations (``tui.core.ops``) are plain
functions over it; the ``Core`` facade (``tui.core.api``) is one.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from tui.core import roles
from tui.core.config import Config
from tui.core.store import Store
from tui.model.api import action, query
from tui.model.driver import Driver
from tui.model.entities import Bay, DomainRecord, GroupRecord, Job, Profile
from tui.model.errors import BadInput, BayopsError, Fenced, Refused
from tui.model.plan import Plan
from tui.model.text import quoted


class OpContext:
    def __init__(self, config: Config, store: Store, driver: Driver, operator: str,
                 read_only: bool = False, system: bool = False, epoch: int | None = None):
        self.config = config
        self.store = store
        self.driver = driver
        self.operator = operator
        self.read_only = read_only
        # The auto-failover policy acts for the group-admins who set it, not as a user:
        # roles do not apply to it, and no login name can claim it.
        self.system = system
        # Serving a caller of `bayops serve` (Service.core_for): resuming interrupted jobs is then
        # a request like any change, not the crash recovery of a starting process.
        self.serving = False
        # The lease epoch of the service this Core acts for (None: no service leads here):
        # every job it starts or resumes is written under it (its runner's Claim).
        self.epoch = epoch

    # -- running a confirmed plan -------------------------------------------------------------
    def execute(self, replan: Callable[[], Plan], expect: Plan | None) -> Job:
        """Re-plan under the write lock, refuse a changed plan, run it as a journaled job."""
        from tui.core import runner
        from tui.core.ops.registry import job_kinds

        return runner.execute(self, job_kinds(), replan, expect)

    def apply_now(self, plan: Plan, expect: Plan | None,
                  apply: Callable[[OpContext, Any], str]) -> str:
        """A change that is not a job (the simulator's faults and parts): the fresh
        ``plan`` checked against ``expect``, then its params applied."""
        from tui.core.runner import check_unchanged

        if expect is not None:
            check_unchanged(expect, plan)
        return apply(self, plan.params)

    # -- events ---------------------------------------------------------------------------
    def event(self, severity: str, source: str, kind: str, message: str,
              job_id: int | None = None, /, **data: Any) -> None:
        """Append to the event log as this operator; ``data`` holds the structured fields."""
        self.store.add_event(severity, source, kind, message, self.operator, job_id, data)

    # -- roles ----------------------------------------------------------------------------
    def require(self, group: str, action: str) -> None:
        if self.system and not self.read_only:
            return
        roles.require(self.config, self.operator, group, action, self.read_only)

    @action
    def check_allowed(self, group: str, action: str) -> None:
        """For a face that refused without asking (a greyed dashboard key): the same check,
        so that its refusal is audited like every other (``Core``'s audited operations)."""
        self.require(group, action)

    def audit_refusal(self, what: str, exc: Refused) -> None:
        """An ``access.refused`` event naming who, what and why; once per refusal (the
        outermost audited operation); none where nothing may be written (read-only), nor for
        the policy (``system``: its refusals are its own ``policy.alert`` events)."""
        if getattr(exc, "audited", False) or isinstance(exc, Fenced) or self.read_only \
                or self.system:
            return
        exc.audited = True  # type: ignore[attr-defined]  # a service counts it, not again
        with contextlib.suppress(BayopsError):  # the refusal is the answer, not its audit
            self.event("warning", "access", "access.refused",
                       f"refused {quoted(self.operator)}: {what}: {exc.message}",
                       who=self.operator, what=what, why=exc.message, code=exc.code)


    @query()
    def role(self, group: str) -> str:
        return roles.role_of(self.config, self.operator, group)

    @query()
    def why_not(self, group: str, action: str) -> str:
        """Why this operator may not do ``action`` in ``group`` ('' when allowed)."""
        try:
            self.require(group, action)
        except Refused as exc:
            return str(exc)
        return ""

    @query()
    def may(self, group: str, action: str) -> bool:
        return not (self.read_only and action != "view") and roles.allowed(
            self.config, self.operator, group, action)

    # -- names that must exist --------------------------------------------------------------
    @query()
    def bay(self, bay_id: str) -> Bay:
        bay = self.store.bay(bay_id)
        if bay is None:
            raise BadInput(self._unknown_bay(bay_id), code="unknown-bay")
        return bay

    @query()
    def profile(self, name: str) -> Profile:
        profile = self.store.profile(name)
        if profile is None:
            raise BadInput(f"no profile named {quoted(name)}", code="unknown-profile")
        return profile

    @query()
    def group(self, name: str) -> GroupRecord:
        record = self.store.group(name)
        if record is None:
            raise BadInput(f"no domain group named {quoted(name)} (groups: "
                           f"{', '.join(self.store.group_names())})", code="unknown-group")
        return record

    @query()
    def domain(self, name: str) -> DomainRecord:
        found = self.store.domain(name)
        if found is None:
            raise BadInput(f"no domain named {quoted(name)}", code="unknown-domain")
        return found

    def domain_group(self, domain: str) -> str:
        group = self.store.domain_group(domain)
        if group is None:
            raise BadInput(f"no domain named {quoted(domain)}", code="unknown-domain")
        return group

    def not_in_maintenance(self, *bays: Bay) -> None:
        for bay in bays:
            if bay.maintenance:
                raise Refused(f"domain {bay.domain} (bay {bay.id}) is in maintenance; "
                              "profile operations there wait until it is completed or cancelled",
                              code="in-maintenance")

    def fit_domain(self, target: Bay) -> None:
        """Refuse ``target`` as a profile's destination while its domain is in maintenance
        or a job holds it (a complete propagating to it, a firmware upgrade, a restore: its
        interconnects may restart under the profile). A source there may still be failed
        over: taking a profile off a dead blade is what the operator needs most."""
        self.not_in_maintenance(target)
        holder = self.store.lock_holder(f"domain:{target.domain}")
        if holder is not None:
            raise Refused(f"domain {target.domain} (bay {target.id}) is held by job {holder}, "
                          "which changes its configuration or firmware; it takes no profile "
                          "until that job ends", code="domain-held")

    def not_held(self, what: str, job_id: int | None) -> None:
        if job_id is not None:
            raise Refused(f"{what} is held by job {job_id}", code="held-by-job")

    def _unknown_bay(self, bay_id: str) -> str:
        enclosure, _, number = bay_id.partition("/")
        if not number:
            return f"{quoted(bay_id)} is not a bay: bays are named <enclosure>/<n>, e.g. enc-w1/7"
        found = [e for e in self.store.enclosures() if e.name == enclosure]
        if not found:
            return f"no enclosure named {quoted(enclosure)} (bay {bay_id})"
        if not number.isdigit():
            return f"bay number {quoted(number)} is not a number"
        return f"bay {bay_id} is out of range: {enclosure} has bays 1..{found[0].bay_count}"
