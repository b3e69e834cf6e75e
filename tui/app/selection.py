"""What the operator points at: the scope in the groups tree and the bay under the cursor.

The base of the main screen: the permission checks and the actions ask it which bay,
domain or group a command would act on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from tui.app.bays_pane import BaysTable
from tui.app.fleet import FLEET, Scope, Snapshot
from tui.app.lost import LostServerScreen
from tui.model.entities import Bay, Maintenance

if TYPE_CHECKING:
    from tui.app.app import BayopsApp
    from tui.client.protocol import Client


class SelectionScreen(LostServerScreen):
    def __init__(self) -> None:
        super().__init__()
        self.snapshot = Snapshot()
        self.scope: Scope = FLEET

    @property
    def bayops(self) -> BayopsApp:
        return cast("BayopsApp", self.app)  # the screen only ever runs inside BayopsApp

    @property
    def core(self) -> Client:
        return self.bayops.core

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

    def _maintenance(self, domain: str) -> Maintenance | None:
        summary = self.snapshot.domains.get(domain)
        return summary.maintenance if summary else None
