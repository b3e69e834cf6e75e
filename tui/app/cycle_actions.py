"""The failure cycle in the dashboard (issue 14): the coverage what-if of a tree node,
rediscovery, failback, evacuation and restore. Each asks the core (plans, refusals) as
the other actions do; nothing here decides."""
from __future__ import annotations

from tui.app.actions import ChangeActions
from tui.app.bays_pane import BaysTable
from tui.app.text_screen import TextScreen
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
                title = f"What if one enclosure of {scope.label()} fails?"
                text = "\n".join(c.line() for c in covers) or "no enclosure"
        except BayopsError as exc:
            self.refuse(exc)
            return
        self.app.push_screen(TextScreen(title, text))
