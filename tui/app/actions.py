"""The actions that change the fleet. Each asks the core for a Plan, shows it in the
confirmation, and on `y` runs the core call with ``expect=plan`` as a job in a
background thread (refused if the live state plans something else by then). Refusals
come back from the core as exceptions and are shown as notifications with their reason.

A helper the main screen owns (``screen.changes``); its ``action_*`` methods hand over.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.app import commands as cmds
from tui.app.bays_pane import BaysTable
from tui.app.confirm_screen import ConfirmScreen, PlanView
from tui.model import ack
from tui.model.entities import Bay, Job
from tui.model.errors import BayopsError
from tui.model.plan import Plan

if TYPE_CHECKING:
    from tui.app.domain_edit_screen import QueuedEdit
    from tui.app.main_screen import MainScreen

# Each dialog's module is imported when its key is first pressed: the first paint does
# without them (docs/architecture.md, "First paint").


class ChangeActions:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.selection = screen.selection
        self.permissions = screen.permissions

    # -- plan, confirm, run ----------------------------------------------------------------------
    def planned(self, make_plan: Callable[[], Plan], forced_key: str | None = None) -> Plan | None:
        """The core's plan, or None after showing its refusal. ``forced_key``: the command
        whose key forces what needs --force."""
        try:
            return make_plan()
        except BayopsError as exc:
            if exc.code == "needs-force" and forced_key is not None:
                self.screen.refuse(f"{exc.message} ({cmds.BY_ID[forced_key].key} forces it)")
            else:
                self.screen.refuse(exc)
            return None

    def confirm_then(self, plan: Plan, label: str, execute: Callable[[Plan], object]) -> None:
        self.confirm_view_then(PlanView.from_plan(plan), label, lambda: execute(plan))

    def confirm_view_then(self, view: PlanView, label: str, work: Callable[[], object]) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                self.screen.bayops.start_job(label, work)
            else:
                self.screen.notify("nothing changed", title=view.title, timeout=3)
        self.screen.app.push_screen(ConfirmScreen(view), answered)

    def propose(self, label: str, make_plan: Callable[[], Plan],
                execute: Callable[[Plan], object], forced_key: str | None = None) -> None:
        plan = self.planned(make_plan, forced_key)
        if plan is not None:
            self.confirm_then(plan, label, execute)

    def plan_on_lock(self, domain: str,
                     make_plan: Callable[[bool], Plan]) -> tuple[Plan, bool] | None:
        """(plan, forced) for an action on a maintenance lock; on another operator's lock
        an admin's plan is forced (the plan says so, and the takeover is audited)."""
        try:
            return make_plan(False), False
        except BayopsError as exc:
            group = self.selection.group("domain")
            if exc.code != "needs-force" or group is None or not self.screen.core.may(group, "force"):
                self.screen.refuse(exc)
                return None
        plan = self.planned(lambda: make_plan(True))
        return (plan, True) if plan is not None else None

    # -- actions: bays ---------------------------------------------------------------------------
    def ack(self) -> None:
        bay = self.permissions.allowed_bay("ack")
        if bay is None:
            return
        why = ack.unackable(bay)  # said before the comment is typed, not after
        if why is not None:
            self.screen.refuse(why)
            return
        self._acknowledge([bay])

    def ack_visible(self) -> None:
        if self.permissions.allowed("ack-visible") is None:
            return
        core = self.screen.core
        wanted = [b for b in self.screen.query_one(BaysTable).items if ack.unackable(b) is None]
        bays = [b for b in wanted if core.may(b.group, "ack")]
        if not bays:
            self.screen.refuse("no unacknowledged critical, warning or unreadable bay in view"
                               + (" that your role may acknowledge" if wanted else ""))
            return
        self._acknowledge(bays, skipped=len(wanted) - len(bays))

    def _acknowledge(self, bays: list[Bay], skipped: int = 0) -> None:
        """The comment, then the act itself (no job, no plan to confirm)."""
        def chosen(comment: str | None) -> None:
            if comment is None:
                self.screen.notify("nothing changed", title="Acknowledge", timeout=3)
                return
            try:
                done = self.screen.core.ack([b.id for b in bays], comment)
            except BayopsError as exc:
                self.screen.refuse(exc)
                return
            names = ", ".join(b.id for b in done[:3]) + (f" and {len(done) - 3} more"
                                                          if len(done) > 3 else "")
            left = f"; {skipped} left (your role may not)" if skipped else ""
            self.screen.notify(f"acknowledged {names}{left}", title="Acknowledge", timeout=4)
            self.screen.bayops.refresh_soon()
        from tui.app.ack_screen import AckScreen

        self.screen.app.push_screen(AckScreen(bays), chosen)

    def propose_on_bay(self, cmd_id: str, label: str, make_plan: Callable[[str], Plan],
                       execute: Callable[..., object]) -> None:
        """A change to the selected bay: its plan, confirmed, then ``execute(bay, expect=)``."""
        bay = self.permissions.allowed_bay(cmd_id)
        if bay is not None:
            self.propose(f"{label} {bay.id}", lambda: make_plan(bay.id),
                         lambda plan: execute(bay.id, expect=plan))

    def failover(self, force: bool) -> None:
        bay = self.permissions.allowed_bay("failover-force" if force else "failover")
        if bay is None:
            return
        core = self.screen.core
        plan = self.planned(lambda: core.plan_failover(bay.id, force=force), "failover-force")
        if plan is None:
            return
        from tui.app.failover_screen import FailoverScreen

        screen = FailoverScreen(PlanView.from_plan(plan), core.failover_candidates(bay.id))
        label = f"failover of {bay.id}"

        def answered(ok: bool | None) -> None:
            if not ok:
                self.screen.notify("nothing changed", title=plan.title, timeout=3)
            elif screen.chosen == plan.target:
                self.screen.bayops.start_job(label, lambda: core.failover(bay.id, force=force, expect=plan))
            else:  # the operator picked another spare: its own plan, checked by the core
                to = screen.chosen
                other = self.planned(lambda: core.plan_failover(bay.id, to=to, force=force))
                if other is not None:
                    self.screen.bayops.start_job(label, lambda: core.failover(
                        bay.id, to=to, force=force, expect=other))
        self.screen.app.push_screen(screen, answered)

    def move(self) -> None:
        bay = self.permissions.allowed_bay("move")
        if bay is None:
            return
        if bay.profile is None:
            self.screen.refuse(f"bay {bay.id} holds no profile: select the bay whose profile moves")
            return
        core, profile = self.screen.core, bay.profile
        try:
            choices = core.move_targets(profile)
        except BayopsError as exc:
            self.screen.refuse(exc)
            return

        def chosen(picked: tuple[str, str | None] | None) -> None:
            if picked:
                target, forced = picked
                self.propose(f"move of {profile}",
                             lambda: core.plan_move(profile, target, forced),
                             lambda plan: core.move(profile, target, expect=plan,
                                                    force_unfit=forced))
        from tui.app.move_screen import MoveScreen

        self.screen.app.push_screen(MoveScreen(profile, bay.id, choices), chosen)

    def toggle_spare(self) -> None:
        bay = self.permissions.allowed_bay("spare")
        if bay is None:
            return
        group, core = bay.group, self.screen.core
        add, remove = ([], [bay.id]) if bay.spare else ([bay.id], [])
        self.propose(f"spare pool of {group}", lambda: core.plan_spares(group, add, remove),
                     lambda plan: core.spares(group, add, remove, expect=plan))

    def fault(self) -> None:
        bay = self.permissions.allowed_bay("fault")
        if bay is None:
            return
        core = self.screen.core

        def chosen(kind: str | None) -> None:
            if kind:
                self.propose(f"fault on {bay.id}", lambda: core.plan_sim_fault(bay.id, kind),
                             lambda plan: core.sim_fault(bay.id, kind, expect=plan))
        from tui.app.fault_screen import FaultScreen

        self.screen.app.push_screen(FaultScreen(bay.id), chosen)

    def heal(self) -> None:
        bay = self.permissions.allowed_bay("heal")
        if bay is None:
            return
        core = self.screen.core
        self.propose(f"heal of {bay.id}", lambda: core.plan_sim_fault(bay.id, None),
                     lambda plan: core.sim_fault(bay.id, None, expect=plan))

    # -- actions: maintenance and policy -----------------------------------------------------------
    def maintenance_start(self) -> None:
        group = self.permissions.allowed("maintenance-start")
        domain = self.selection.domain()
        if group is None or domain is None:
            return
        core = self.screen.core
        # What the lock will do, before a reason is typed: the dialog is the confirmation.
        preview = self.planned(lambda: core.plan_maintenance_start(domain, "(reason)"))
        if preview is None:
            return

        def chosen(reason: str | None) -> None:
            if not reason:
                return
            plan = self.planned(lambda: core.plan_maintenance_start(domain, reason))
            if plan is not None:
                self.screen.bayops.start_job(f"maintenance of {domain}",
                                             lambda: core.maintenance_start(domain, reason, expect=plan))
        from tui.app.maintenance_start_screen import MaintenanceStartScreen

        self.screen.app.push_screen(MaintenanceStartScreen(preview, core.operator), chosen)

    def _held(self, cmd_id: str) -> str | None:
        domain = self.selection.domain()
        if self.permissions.allowed(cmd_id) is None or domain is None:
            return None
        if self.selection.maintenance(domain) is None:
            self.screen.refuse(f"domain {domain} is not in maintenance (start it with "
                               f"{cmds.BY_ID['maintenance-start'].key})")
            return None
        return domain

    def maintenance_edit(self) -> None:
        domain = self._held("maintenance-edit")
        if domain is None:
            return
        core = self.screen.core
        try:
            config, baseline = core.domain_config(domain)
        except BayopsError as exc:
            self.screen.refuse(exc)
            return
        from tui.app.domain_edit_screen import DomainEditScreen, edit_plan, queue_view, run_edits

        def chosen(edits: list[QueuedEdit] | None) -> None:
            if edits:  # already planned by the dialog: a refusal was shown there
                self.confirm_view_then(queue_view(domain, edits), f"edit of {domain}",
                                       lambda: run_edits(core, domain, edits))
        self.screen.app.push_screen(DomainEditScreen(
            domain, config, baseline,
            lambda key, value, after: edit_plan(core, domain, key, value, after)), chosen)

    def maintenance_complete(self) -> None:
        core = self.screen.core
        self._on_lock("maintenance-complete", "completion", core.plan_maintenance_complete,
                      core.maintenance_complete)

    def maintenance_cancel(self) -> None:
        core = self.screen.core
        self._on_lock("maintenance-cancel", "cancel", core.plan_maintenance_cancel, core.maintenance_cancel)

    def _on_lock(self, cmd_id: str, label: str, make_plan: Callable[[str, bool], Plan],
                 execute: Callable[..., Job]) -> None:
        domain = self._held(cmd_id)
        if domain is None:
            return
        planned = self.plan_on_lock(domain, lambda force: make_plan(domain, force))
        if planned is not None:
            plan, forced = planned
            self.confirm_then(plan, f"{label} of {domain}",
                              lambda p: execute(domain, force=forced, expect=p))

    def policy(self) -> None:
        group = self.permissions.allowed("policy")
        if group is None:
            return
        core = self.screen.core
        g = self.screen.snapshot.group(group)
        mode, window = (g.policy.mode, g.policy.window) if g else ("manual", "")

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice:
                new_mode, new_window = choice
                self.propose(f"policy of {group}",
                             lambda: core.plan_policy(group, new_mode, new_window),
                             lambda plan: core.policy(group, new_mode, new_window, expect=plan))
        from tui.app.policy_screen import PolicyScreen

        self.screen.app.push_screen(PolicyScreen(group, mode, window), chosen)

