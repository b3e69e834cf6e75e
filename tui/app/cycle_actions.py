"""The failure cycle in the dashboard (issue 14): the coverage what-if of a tree node,
rediscovery, failback, evacuation and restore. Each asks the core (plans, refusals) as
the other actions do; nothing here decides."""
from __future__ import annotations

from tui.app import commands as cmds
from tui.app.actions import ChangeActions
from tui.app.bays_pane import BaysTable
from tui.app.text_screen import TextScreen
from tui.model.entities import Event
from tui.model.errors import BayopsError


class CycleActions(ChangeActions):
    def action_what_if(self) -> None:
        """What if the selected node (enclosure, domain, or the bay in the bays pane) failed
        now; on a group or the fleet: each of its enclosures in turn."""
        scope, core = self.scope, self.core
        bay = self.selected_bay() if self.query_one(BaysTable).has_focus else None
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
            self.refuse(exc)
            return
        self.app.push_screen(TextScreen(title, text))

    def action_ports(self) -> None:
        """The selected domain's uplink ports, read now (a link that changed is an event)."""
        scope, core = self.scope, self.core
        if scope.kind != "domain" or not scope.name:
            self.notify("Ports: select a domain in the groups pane", severity="warning")
            return
        try:
            ports = core.ports(scope.name)
        except BayopsError as exc:
            self.refuse(exc)
            return
        down = sum(p.link != "up" for p in ports)
        self.app.push_screen(TextScreen(f"Uplink ports of {scope.name}: {len(ports)}, {down} down",
                                        "\n".join(p.line() for p in ports) or "no uplink port"))

    def offer_failbacks(self, events: list[Event]) -> None:
        """A group with failback = "offer": the monitor says a home is healthy again; the
        dashboard offers it (never moves it by itself)."""
        for event in events:
            if event.kind == "failback.offer":
                self.notify(f"{event.message} (or {cmds.BY_ID['failback'].key} on that bay)",
                            title="Failback possible", timeout=15)

    def _enclosure_for(self) -> str | None:
        """The enclosure selected in the tree, else the selected bay's."""
        if self.scope.kind == "enclosure" and self.scope.name:
            return self.scope.name
        bay = self.selected_bay()
        return bay.enclosure if bay else None

    def action_rediscover(self) -> None:
        """Read what is in the bays now: the selected bay (bays pane), enclosure, or all."""
        core = self.core
        bay = self.selected_bay() if self.query_one(BaysTable).has_focus else None
        target = bay.id if bay else (self.scope.name if self.scope.kind == "enclosure" else None)

        def work() -> str:
            found = core.rediscover(target)
            flagged = sum(f.flagged for f in found)
            return (f"{len(found)} bay(s) changed" + (f", {flagged} FLAGGED" if flagged else "")
                    + ": " + "; ".join(f"{f.bay} {f.change}" for f in found[:6])
                    if found else "no bay changed")
        self.bayops.start_job(f"rediscovery of {target or 'the fleet'}", work)

    def action_clear_flag(self) -> None:
        core = self.core
        self.propose_on_bay("clear-flag", "clearing", core.plan_clear_flag, core.clear_flag)

    def action_failback(self) -> None:
        """The selected bay's profile goes home, or the profile whose home it is comes back."""
        bay = self._allowed_bay("failback")
        if bay is None:
            return
        core = self.core
        profile = core.failback_profile(bay.id)
        if profile is None:
            self.refuse(f"bay {bay.id} holds no failed-over profile and is no profile's home")
            return
        try:
            plan = core.plan_failback(profile)
        except BayopsError as exc:
            restore = cmds.BY_ID["restore"].key
            self.refuse(f"{exc.message} ({restore} on the enclosure)" if exc.code == "home-drained"
                        else exc)
            return
        self.confirm_then(plan, f"failback of {profile}",
                          lambda p: core.failback(profile, expect=p))

    def action_evacuate(self) -> None:
        """Every profile off the enclosure; with too few spares, the forced plan says which
        stay (the confirmation lists them first); the CLI's evacuate can name targets."""
        enclosure = self._enclosure_for()
        if self._allowed("evacuate") is None or enclosure is None:
            return
        core = self.core
        try:
            plan = core.plan_evacuate(enclosure)
            force = False
        except BayopsError as exc:
            if exc.code != "shortfall":
                self.refuse(exc)
                return
            self.notify(f"{exc.message}: the plan shows which stay where they are; "
                        "confirming moves the others", title="Shortfall", severity="warning",
                        timeout=10)
            forced = self.planned(lambda: core.plan_evacuate(enclosure, force=True))
            if forced is None:
                return
            plan, force = forced, True
        self.confirm_then(plan, f"evacuation of {enclosure}", lambda p: core.evacuate(
            enclosure, force=force, expect=p))

    def action_restore(self) -> None:
        enclosure = self._enclosure_for()
        if self._allowed("restore") is None or enclosure is None:
            return
        core = self.core
        self.propose(f"restore of {enclosure}", lambda: core.plan_restore(enclosure),
                     lambda plan: core.restore(enclosure, expect=plan))

