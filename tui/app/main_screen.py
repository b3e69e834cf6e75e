"""The main screen: the four panes, the bindings, and the actions behind them.

No policy lives here. Every action asks the core for a plan (or builds the plan text
of a one-step change), shows it in a confirmation, and runs the core call as a job in
a background thread; refusals come back from the core as exceptions and are shown as
notifications with their reason.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Tree

from tui.app import commands as cmds
from tui.app import format as fmt
from tui.app.bays_pane import BaysTable
from tui.app.confirm_screen import ConfirmScreen, PlanView
from tui.app.domain_edit_screen import DomainEditScreen
from tui.app.events_pane import EventLog
from tui.app.fault_screen import FaultScreen
from tui.app.fleet import ATTENTION, FLEET, BayQuery, Scope, Snapshot
from tui.app.groups_pane import GroupsTree
from tui.app.header_bar import HeaderBar
from tui.app.help_screen import HelpScreen
from tui.app.job_screen import JobScreen
from tui.app.jobs_pane import JobsList
from tui.app.linelist import LineList
from tui.app.maintenance_start_screen import MaintenanceStartScreen
from tui.app.move_screen import MoveScreen
from tui.app.policy_screen import PolicyScreen
from tui.model.entities import Bay, Event
from tui.model.errors import BayopsError, Refused

if TYPE_CHECKING:
    from tui.app.app import BayopsApp


class MainScreen(Screen):
    BINDINGS = cmds.bindings()
    AUTO_FOCUS = "#groups"

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = Snapshot()
        self.scope: Scope = FLEET
        self.bay_query = BayQuery()
        self.filter_target = "bays"

    @property
    def bayops(self) -> BayopsApp:
        return self.app  # type: ignore[return-value]

    @property
    def core(self):
        return self.bayops.core

    def compose(self) -> ComposeResult:
        yield HeaderBar(self.bayops.clock)
        with Horizontal(id="main"):
            yield GroupsTree(self.bayops.clock)
            with Vertical(id="right"):
                yield BaysTable()
                with Horizontal(id="bottom"):
                    yield EventLog()
                    yield JobsList()
        with Horizontal(id="filter-bar"):
            yield Label("/", id="filter-label")
            yield Input(placeholder="filter text (enter keeps it, esc clears)", id="filter-input")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(GroupsTree).border_title = "Groups [1]"
        self.query_one(EventLog).border_title = "Events [3]"
        self.query_one(JobsList).border_title = "Jobs [4]"
        core = self.core
        self.query_one(HeaderBar).update(driver=core.driver.name, operator=core.operator,
                                         read_only=core.read_only)
        self._layout_for(self.app.size.width, self.app.size.height)
        self._titles()

    def on_resize(self, event: events.Resize) -> None:
        self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        compact = width < 100 or height < 28
        self.set_class(compact, "compact")
        self.query_one(GroupsTree).show_guides = not compact
        self.set_class(width >= 180 and height >= 50, "wide")

    # -- data in ------------------------------------------------------------------------------
    def apply(self, snap: Snapshot, new_events: list[Event]) -> None:
        """A fresh snapshot from the core (main thread)."""
        self.snapshot = snap
        self.query_one(GroupsTree).update_from(snap)
        self.refresh_bays()
        self.query_one(JobsList).set_jobs(snap.jobs)
        self.query_one(EventLog).add_events(new_events)
        self._header()
        self._titles()
        self.update_bindings()

    def _header(self) -> None:
        snap = self.snapshot
        group = self._group_for("group")
        found = {self.core.role(g.name) for g in snap.groups}
        if len(found) == 1:
            role = found.pop()
        elif group:
            role = f"{self.core.role(group)} in {group}"
        else:
            role = "role varies by group"
        self.query_one(HeaderBar).update(
            critical=snap.critical(), no_spare=snap.empty_spare_pools(), role=role,
            running=len(snap.running_jobs()))

    def _titles(self) -> None:
        table = self.query_one(BaysTable)
        total = len(self.snapshot.scope_bays(self.scope))
        shown = len(table.items)
        extra = self.bay_query.describe()
        domain = self.snapshot.scope_domain(self.scope)
        held = self._maintenance(domain) if domain else None
        if held is not None:
            badge, _ = fmt.maintenance_badge(held, self.bayops.clock())
            extra = f"{badge} {extra}".strip()
        self._set_title(table, f"Bays [2]: {self.scope.label()} ({shown}"
                              + (f" of {total}" if shown != total else "") + ")"
                              + (f"  {extra}" if extra else ""))
        log = self.query_one(EventLog)
        extra = log.describe()
        self._set_title(log, "Events [3]" + (f"  {extra}" if extra else ""))
        running = len(self.snapshot.running_jobs())
        self._set_title(self.query_one(JobsList),
                        "Jobs [4]" + (f"  {running} running" if running else ""))

    @staticmethod
    def _set_title(widget, title: str) -> None:
        if widget.border_title != title:
            widget.border_title = title

    def refresh_bays(self) -> None:
        table = self.query_one(BaysTable)
        table.sort, table.reverse = self.bay_query.sort, self.bay_query.reverse
        table.set_items(self.bay_query.apply(self.snapshot.scope_bays(self.scope)))
        self._titles()

    # -- selection ------------------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        scope = data.scope if data is not None else FLEET
        if scope != self.scope:
            self.scope = scope
            self.refresh_bays()
            self._header()
            self.update_bindings()

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        self.query_one(BaysTable).focus()

    def on_line_list_highlighted(self, event: LineList.Highlighted) -> None:
        if isinstance(event.sender, BaysTable):
            self.update_bindings()

    def on_line_list_activated(self, event: LineList.Activated) -> None:
        if isinstance(event.sender, JobsList):
            self._open_job(event.item.job.id)
        elif isinstance(event.sender, BaysTable) and event.item.job_id is not None:
            self._open_job(event.item.job_id)

    def selected_bay(self) -> Bay | None:
        return self.query_one(BaysTable).bay

    def _domain_for(self) -> str | None:
        domain = self.snapshot.scope_domain(self.scope)
        if domain is None:
            bay = self.selected_bay()
            domain = bay.domain if bay else None
        return domain

    def _group_for(self, target: str) -> str | None:
        if target == "bay":
            bay = self.selected_bay()
            return bay.group if bay else None
        if target == "domain":
            domain = self._domain_for()
            summary = self.snapshot.domains.get(domain or "")
            return summary.group if summary else None
        if target == "group":
            group = self.snapshot.scope_group(self.scope)
            if group is None:
                bay = self.selected_bay()
                group = bay.group if bay else None
            return group
        return None

    # -- who may do what (display only: the core decides) ------------------------------------
    _binding_state: tuple = ()

    def update_bindings(self) -> None:
        """refresh_bindings() only when an action's state changed: the footer recomposes
        on every refresh, too slow to do on each cursor move over 16,000 bays."""
        state = tuple(self.check_action(c.action, ()) for c in cmds.COMMANDS if c.perm)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        cmd = cmds.BY_ACTION.get(action)
        if cmd is None or cmd.perm is None:
            return True
        if cmd.sim_only and self.core.driver.name != "sim":
            return False
        group = self._group_for(cmd.target)
        if group is None:
            return None
        return True if self.core.may(group, cmd.perm) else None

    def why_not(self, cmd: cmds.Command) -> str:
        if cmd.sim_only and self.core.driver.name != "sim":
            return f"fault injection needs the sim driver; this fleet uses {self.core.driver.name}"
        group = self._group_for(cmd.target)
        if group is None:
            return {"bay": "select a bay first", "domain": "select a domain (or a bay in it) first",
                    "group": "select a group (or a bay in it) first"}.get(cmd.target, "not available")
        return self.core.why_not(group, cmd.perm)

    def refuse(self, reason: str | BayopsError, title: str = "Refused") -> None:
        text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
        if isinstance(reason, BayopsError) and not isinstance(reason, Refused):
            title = "Bad input" if reason.exit_code == 2 else "Failed"
        self.notify(text, title=title, severity="error", timeout=8)

    def _allowed(self, cmd_id: str) -> str | None:
        """The group the command acts on, or None after notifying why it cannot run."""
        cmd = cmds.BY_ID[cmd_id]
        why = self.why_not(cmd)
        if why:
            self.refuse(why)
            return None
        return self._group_for(cmd.target)

    def on_key(self, event: events.Key) -> None:
        """A key whose binding is disabled (role, read-only, nothing selected) says why."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled or active.node is not self:
            return
        cmd = cmds.BY_ACTION.get(active.binding.action.split("(")[0]) or cmds.BY_ACTION.get(
            active.binding.action)
        if cmd is not None and cmd.perm is not None:
            event.stop()
            event.prevent_default()
            self.refuse(self.why_not(cmd) or "not allowed")

    async def run_command(self, cmd_id: str) -> None:
        """From the command palette: same checks as the key."""
        cmd = cmds.BY_ID[cmd_id]
        name = cmd.action.split("(")[0]
        if cmd.perm is not None and not self.check_action(name, ()):
            self.refuse(self.why_not(cmd) or "not allowed")
            return
        await self.run_action(cmd.action)

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
        if self._allowed(cmd_id) is None:
            return
        bay = self.selected_bay()
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
        if self._allowed("move") is None:
            return
        bay = self.selected_bay()
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
        group = self._allowed("spare")
        if group is None:
            return
        bay = self.selected_bay()
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
        if self._allowed("fault") is None:
            return
        bay = self.selected_bay()
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
        if self._allowed("heal") is None:
            return
        bay = self.selected_bay()
        core = self.core
        view = PlanView("Simulator heal", f"clear the simulated fault of {bay.id}",
                        [f"simulator: heal {bay.id}", "read the bay's health now"], bay.id)
        self.confirm_then(view, f"heal of {bay.id}", lambda: core.sim_fault(bay.id, None))

    # -- actions: maintenance and policy -----------------------------------------------------------
    def _maintenance(self, domain: str):
        summary = self.snapshot.domains.get(domain)
        return summary.maintenance if summary else None

    def action_maintenance_start(self) -> None:
        group = self._allowed("maintenance-start")
        if group is None:
            return
        domain = self._domain_for()
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
        if self._allowed(cmd_id) is None:
            return None
        domain = self._domain_for()
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

    # -- actions: views ----------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.filter_target = "events" if self.query_one(EventLog).has_focus else "bays"
        bar = self.query_one("#filter-bar")
        bar.add_class("shown")
        box = self.query_one("#filter-input", Input)
        box.value = self.query_one(EventLog).text if self.filter_target == "events" else self.bay_query.text
        self.query_one("#filter-label", Label).update(f"/ {self.filter_target}:")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter-input":
            return
        if self.filter_target == "events":
            self.query_one(EventLog).set_filter(text=event.value)
            self._titles()
        else:
            self.bay_query.text = event.value
            self.refresh_bays()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter-input":
            self.query_one("#filter-bar").remove_class("shown")
            self.query_one(EventLog if self.filter_target == "events" else BaysTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        if self.maximized is not None and not box.has_focus:
            self.minimize()
            return
        self.query_one("#filter-bar").remove_class("shown")
        if self.filter_target == "events" or self.query_one(EventLog).has_focus:
            self.query_one(EventLog).set_filter(text="", min_severity="info")
        self.bay_query.text = ""
        self.bay_query.quick = None
        if box.has_focus:
            self.query_one(EventLog if self.filter_target == "events" else BaysTable).focus()
        box.value = ""
        self.refresh_bays()

    def action_quick(self, name: str) -> None:
        self.bay_query.quick = None if self.bay_query.quick == name else name
        self.refresh_bays()

    def action_attention(self) -> None:
        self.query_one(GroupsTree).select_scope(ATTENTION)

    def action_sort_next(self) -> None:
        keys = fmt.SORT_KEYS
        self.bay_query.sort = keys[(keys.index(self.bay_query.sort) + 1) % len(keys)]
        self.refresh_bays()

    def action_sort_reverse(self) -> None:
        self.bay_query.reverse = not self.bay_query.reverse
        self.refresh_bays()

    def action_severity(self) -> None:
        level = self.query_one(EventLog).cycle_severity()
        self._titles()
        self.notify(f"event log shows {level} and above", timeout=2)

    def _open_job(self, job_id: int) -> None:
        self.app.push_screen(JobScreen(job_id, self.core.job))

    def action_open_job(self) -> None:
        job = self.query_one(JobsList).job
        if job is None:
            self.refuse("no job yet", title="Jobs")
            return
        self._open_job(job.id)

    def action_focus_pane(self, name: str) -> None:
        self.query_one(f"#{name}").focus()

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused, container=False)

    def action_help(self) -> None:
        keymap = dict(self.app._keymap)  # a copy of a private field: Textual has no getter
        self.app.push_screen(HelpScreen(keymap, self.bayops.whoami()))

    async def action_quit(self) -> None:
        await self.bayops.request_quit()
