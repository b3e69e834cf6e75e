"""The actions that change the fleet: each asks the core for a plan (or builds the plan
text of a one-step change), shows it in a confirmation, and runs the core call as a job
in a background thread. Refusals come back from the core as exceptions and are shown
as notifications with their reason.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.app import commands as cmds
from tui.app.confirm_screen import ConfirmScreen, PlanView
from tui.app.domain_edit_screen import DomainEditScreen
from tui.app.fault_screen import FaultScreen
from tui.app.maintenance_start_screen import MaintenanceStartScreen
from tui.app.move_screen import MoveScreen
from tui.app.permissions import PermissionsScreen
from tui.app.policy_screen import PolicyScreen
from tui.model.errors import BayopsError


class ChangeActions(PermissionsScreen):
    # -- confirm then run ---------------------------------------------------------------------------
    def confirm_then(self, view: PlanView, label: str, work: Callable[[], Any]) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                self.bayops.start_job(label, work)
            else:
                self.notify("nothing changed", title=view.title, timeout=3)
        self.app.push_screen(ConfirmScreen(view), answered)

    # -- actions: bays ---------------------------------------------------------------------------
    def action_failover(self) -> None:
        self._failover("failover", force=False)

    def action_failover_force(self) -> None:
        self._failover("failover-force", force=True)

    def _failover(self, cmd_id: str, force: bool) -> None:
        bay = self._allowed_bay(cmd_id)
        if bay is None:
            return
        core = self.core
        try:
            plan = core.plan_failover(bay.id, force=force)
        except BayopsError as exc:
            hint = " (F forces it)" if "--force" in str(exc) else ""
            self.refuse(str(exc).replace(": add --force to fail over anyway", "") + hint
                        if hint else exc)
            return
        title = f"{'Force fail' if force else 'Fail'} over {bay.id}"
        view = PlanView.from_plan(title, plan)
        view.danger = True
        view.confirm_label = "Fail over"

        self.confirm_then(view, f"failover of {bay.id}",
                          lambda: core.failover(bay.id, force=force, expect=plan.target))

    def action_move(self) -> None:
        bay = self._allowed_bay("move")
        if bay is None:
            return
        if bay.profile is None:
            self.refuse(f"bay {bay.id} holds no profile: select the bay whose profile moves")
            return
        core, profile = self.core, bay.profile
        try:
            choices = core.move_targets(profile)
        except BayopsError as exc:
            self.refuse(exc)
            return

        def chosen(target: str | None) -> None:
            if not target:
                return
            try:
                plan = core.plan_move(profile, target)
            except BayopsError as exc:
                self.refuse(exc)
                return
            view = PlanView.from_plan(f"Move profile {profile}", plan)
            view.confirm_label = "Move"
            self.confirm_then(view, f"move of {profile}", lambda: core.move(profile, target))
        self.app.push_screen(MoveScreen(profile, bay.id, choices), chosen)

    def action_toggle_spare(self) -> None:
        bay = self._allowed_bay("spare")
        if bay is None:
            return
        group = bay.group
        core = self.core
        add, remove = ([], [bay.id]) if bay.spare else ([bay.id], [])
        try:
            summary = core.check_spares(group, add, remove)
        except BayopsError as exc:
            self.refuse(exc)
            return
        why = ("failover will no longer use this server" if bay.spare else
               "a spare has a server, no profile and is powered off; failover may then apply "
               "a profile to it")
        view = PlanView("Spare pool", summary, [summary], bay.id, why)
        self.confirm_then(view, f"spare pool of {group}",
                          lambda: core.change_spares(group, add=add, remove=remove))

    def action_fault(self) -> None:
        bay = self._allowed_bay("fault")
        if bay is None:
            return
        core = self.core

        def chosen(kind: str | None) -> None:
            if not kind:
                return
            view = PlanView("Simulator fault", f"inject fault {kind} into {bay.id}",
                            [f"simulator: {bay.id} {kind}", "read the bay's health now"], bay.id,
                            "simulated hardware only; the monitor and the policy react as to a "
                            "real fault")
            self.confirm_then(view, f"fault on {bay.id}", lambda: core.sim_fault(bay.id, kind))
        self.app.push_screen(FaultScreen(bay.id), chosen)

    def action_heal(self) -> None:
        bay = self._allowed_bay("heal")
        if bay is None:
            return
        core = self.core
        view = PlanView("Simulator heal", f"clear the simulated fault of {bay.id}",
                        [f"simulator: heal {bay.id}", "read the bay's health now"], bay.id)
        self.confirm_then(view, f"heal of {bay.id}", lambda: core.sim_fault(bay.id, None))

    # -- actions: maintenance and policy -----------------------------------------------------------
    def action_maintenance_start(self) -> None:
        group = self._allowed("maintenance-start")
        domain = self._domain_for()
        if group is None or domain is None:
            return
        core = self.core
        try:
            core.check_maintenance_start(domain)
        except BayopsError as exc:
            self.refuse(exc)
            return
        g = self.snapshot.group(group)
        others = [d.name for d in g.domains if d.name != domain] if g else []

        def chosen(reason: str | None) -> None:
            if reason:
                self.bayops.start_job(f"maintenance of {domain}",
                                      lambda: core.start_maintenance(domain, reason))
        self.app.push_screen(MaintenanceStartScreen(domain, group, others, core.config.lease_hours,
                                                    core.operator), chosen)

    def _held(self, cmd_id: str) -> str | None:
        domain = self._domain_for()
        if self._allowed(cmd_id) is None or domain is None:
            return None
        if self._maintenance(domain) is None:
            self.refuse(f"domain {domain} is not in maintenance (start it with "
                        f"{cmds.BY_ID['maintenance-start'].key})")
            return None
        return domain

    def _force_for(self, domain: str) -> tuple[bool, list[str]]:
        """Acting on another operator's lock needs admin and is audited; say so in the plan."""
        held = self._maintenance(domain)
        if held is None or held.owner == self.core.operator:
            return False, []
        group = self._group_for("domain")
        if group is None or self.core.why_not(group, "force"):
            return False, []  # the core refuses with the reason
        return True, [f"forced: this is {held.owner}'s maintenance lock; "
                      "the takeover is written to the event log"]

    def action_maintenance_edit(self) -> None:
        domain = self._held("maintenance-edit")
        if domain is None:
            return
        core = self.core
        try:
            config, baseline = core.domain_config(domain)
        except BayopsError as exc:
            self.refuse(exc)
            return

        def chosen(change: tuple[str, str] | None) -> None:
            if not change:
                return
            key, value = change
            view = PlanView(f"Edit domain {domain}", f"set {key} = {value} on {domain}",
                            [f"push {key} = {value} to {domain}"], domain,
                            "the domain may drift from its group baseline while in maintenance; "
                            "complete propagates the change, cancel reverts it",
                            details=config.diff(baseline) or ["(no drift yet)"],
                            details_title="Drift so far")
            self.confirm_then(view, f"edit of {domain}",
                              lambda: core.set_domain(domain, key, value))
        self.app.push_screen(DomainEditScreen(domain, config, baseline), chosen)

    def action_maintenance_complete(self) -> None:
        domain = self._held("maintenance-complete")
        if domain is None:
            return
        core = self.core
        force, warnings = self._force_for(domain)
        try:
            diff, others = core.plan_complete(domain, force)
        except BayopsError as exc:
            self.refuse(exc)
            return
        group = self._group_for("domain")
        steps = [f"apply the change to {o}" for o in others]
        steps += [f"make it the new baseline of group {group}", f"release the lock on {domain}"]
        view = PlanView(f"Complete maintenance of {domain}",
                        f"complete maintenance of {domain}: propagate to "
                        f"{', '.join(others) or 'no other domain'}", steps, domain,
                        details=diff or ["(no change)"], details_title="Diff against the baseline",
                        confirm_label="Complete", warnings=warnings, danger=force)
        self.confirm_then(view, f"completion of {domain}",
                          lambda: core.complete_maintenance(domain, force))

    def action_maintenance_cancel(self) -> None:
        domain = self._held("maintenance-cancel")
        if domain is None:
            return
        core = self.core
        force, warnings = self._force_for(domain)
        try:
            config, baseline = core.domain_config(domain)
        except BayopsError as exc:
            self.refuse(exc)
            return
        view = PlanView(f"Cancel maintenance of {domain}",
                        f"cancel maintenance of {domain}: revert it to the group baseline",
                        [f"push the group baseline to {domain}", f"release the lock on {domain}"],
                        domain, details=config.diff(baseline) or ["(no change to revert)"],
                        details_title="Changes that will be reverted", confirm_label="Cancel it",
                        danger=True, warnings=warnings)
        self.confirm_then(view, f"cancel of {domain}",
                          lambda: core.cancel_maintenance(domain, force))

    def action_policy(self) -> None:
        group = self._allowed("policy")
        if group is None:
            return
        core = self.core
        g = self.snapshot.group(group)
        mode, window = (g.policy.mode, g.policy.window) if g else ("manual", "")

        def chosen(choice: tuple[str, str] | None) -> None:
            if not choice:
                return
            new_mode, new_window = choice
            view = PlanView(f"Auto-failover of {group}",
                            f"set auto-failover of {group}: {new_mode}"
                            + (f" during {new_window}" if new_window else " (always)"),
                            [f"policy {mode}{' ' + window if window else ''} -> "
                             f"{new_mode}{' ' + new_window if new_window else ''}"], group,
                            "the monitor of every bayops process applies it to new events")
            self.confirm_then(view, f"policy of {group}",
                              lambda: core.set_policy(group, new_mode, new_window))
        self.app.push_screen(PolicyScreen(group, mode, window), chosen)
