"""The failure cycle in the dashboard (issue 14): the coverage what-if of a tree node,
rediscovery, failback, evacuation and restore. Each asks the core (plans, refusals) as
the other actions do; nothing here decides. A helper the main screen owns
(``screen.cycle``); its ``action_*`` methods hand over."""
from __future__ import annotations

from typing import TYPE_CHECKING

from tui.app import commands as cmds
from tui.app.bays_pane import BaysTable
from tui.model.entities import Event
from tui.model.errors import BayopsError

if TYPE_CHECKING:
    from tui.app.main_screen import MainScreen


class CycleActions:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.selection = screen.selection
        self.permissions = screen.permissions
        self.changes = screen.changes  # plan, confirm, run: as every change does

    def what_if(self) -> None:
        """What if the selected node (enclosure, domain, or the bay in the bays pane) failed
        now; on a group or the fleet: each of its enclosures in turn."""
        scope, core = self.screen.scope, self.screen.core
        bay = self.selection.bay() if self.screen.query_one(BaysTable).has_focus else None
        try:
            if bay is not None:
                title, text = f"What if {bay.id} fails?", core.coverage(bay.id).text()
            elif scope.kind in ("enclosure", "domain") and scope.name:
                title, text = f"What if {scope.name} fails?", core.coverage(scope.name).text()
            else:
                group = scope.name if scope.kind == "group" else None
                covers = core.coverage_enclosures(group)
                title = (f"What if one enclosure of {scope.label()} fails?" if group else
                         "What if any one enclosure fails?")
                text = "\n".join(c.line() for c in covers) or "no enclosure"
        except BayopsError as exc:
            self.screen.refuse(exc)
            return
        from tui.app.text_screen import TextScreen  # a dialog: imported when first shown

        self.screen.app.push_screen(TextScreen(title, text))

    def ports(self) -> None:
        """The selected domain's uplink ports, read now and every few seconds while shown
        (a link that changed is an event)."""
        scope, core = self.screen.scope, self.screen.core
        if scope.kind != "domain" or not scope.name:
            self.screen.notify("Ports: select a domain in the groups pane", severity="warning")
            return
        try:
            ports = core.ports(scope.name)
        except BayopsError as exc:
            self.screen.refuse(exc)
            return
        from tui.app.ports_screen import PortsScreen  # a dialog: imported when first shown

        self.screen.app.push_screen(PortsScreen(scope.name, core.ports, ports))

    def offer_failbacks(self, events: list[Event]) -> None:
        """A group with failback = "offer": the monitor says a home is healthy again; the
        dashboard offers it (never moves it by itself)."""
        for event in events:
            if event.kind == "failback.offer":
                self.screen.notify(f"{event.message} (or {cmds.BY_ID['failback'].key} on that bay)",
                                   title="Failback possible", timeout=15)

    def _enclosure_for(self) -> str | None:
        """The enclosure selected in the tree, else the selected bay's."""
        scope = self.screen.scope
        if scope.kind == "enclosure" and scope.name:
            return scope.name
        bay = self.selection.bay()
        return bay.enclosure if bay else None

    def rediscover(self) -> None:
        """Read what is in the bays now: the selected bay (bays pane), enclosure, or all."""
        core, scope = self.screen.core, self.screen.scope
        bay = self.selection.bay() if self.screen.query_one(BaysTable).has_focus else None
        target = bay.id if bay else (scope.name if scope.kind == "enclosure" else None)

        def work() -> str:
            found = core.rediscover(target)
            flagged = sum(f.flagged for f in found)
            return (f"{len(found)} bay(s) changed" + (f", {flagged} FLAGGED" if flagged else "")
                    + ": " + "; ".join(f"{f.bay} {f.change}" for f in found[:6])
                    if found else "no bay changed")
        self.screen.bayops.start_job(f"rediscovery of {target or 'the fleet'}", work)

    def clear_flag(self) -> None:
        core = self.screen.core
        self.changes.propose_on_bay("clear-flag", "clearing", core.plan_clear_flag, core.clear_flag)

    def failback(self) -> None:
        """The selected bay's profile goes home, or the profile whose home it is comes back."""
        bay = self.permissions.allowed_bay("failback")
        if bay is None:
            return
        core = self.screen.core
        profile = core.failback_profile(bay.id)
        if profile is None:
            self.screen.refuse(f"bay {bay.id} holds no failed-over profile and is no profile's home")
            return
        try:
            plan = core.plan_failback(profile)
        except BayopsError as exc:
            restore = cmds.BY_ID["restore"].key
            self.screen.refuse(f"{exc.message} ({restore} on the enclosure)" if exc.code == "home-drained"
                               else exc)
            return
        self.changes.confirm_then(plan, f"failback of {profile}",
                          lambda p: core.failback(profile, expect=p))

    def evacuate(self) -> None:
        """Every profile off the enclosure; with too few spares, the forced plan says which
        stay (the confirmation lists them first); the CLI's evacuate can name targets."""
        enclosure = self._enclosure_for()
        if self.permissions.allowed("evacuate") is None or enclosure is None:
            return
        core = self.screen.core
        try:
            plan = core.plan_evacuate(enclosure)
            force = False
        except BayopsError as exc:
            if exc.code != "shortfall":
                self.screen.refuse(exc)
                return
            self.screen.notify(f"{exc.message}: the plan shows which stay where they are; "
                               "confirming moves the others", title="Shortfall", severity="warning",
                               timeout=10)
            forced = self.changes.planned(lambda: core.plan_evacuate(enclosure, force=True))
            if forced is None:
                return
            plan, force = forced, True
        self.changes.confirm_then(plan, f"evacuation of {enclosure}", lambda p: core.evacuate(
            enclosure, force=force, expect=p))

    def restore(self) -> None:
        enclosure = self._enclosure_for()
        if self.permissions.allowed("restore") is None or enclosure is None:
            return
        core = self.screen.core
        self.changes.propose(f"restore of {enclosure}", lambda: core.plan_restore(enclosure),
                     lambda plan: core.restore(enclosure, expect=plan))

