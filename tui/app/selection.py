"""What the operator points at: the scope in the groups tree and the bay under the cursor.

The base of the main screen: the permission checks and the actions ask it which bay,
domain or group a command would act on.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from tui.app import commands as cmds
from tui.app.bays_pane import BaysTable
from tui.app.copy import AFTER_REFUSAL_SECONDS, Copier, tmux_holds_back
from tui.app.fleet import FLEET, Scope, Snapshot
from tui.app.lost import LostServerScreen
from tui.model.entities import Bay, Maintenance, Profile
from tui.model.errors import BayopsError, Refused

if TYPE_CHECKING:
    from tui.app.app import BayopsApp
    from tui.client.protocol import Client


class SelectionScreen(LostServerScreen):
    def __init__(self) -> None:
        super().__init__()
        self.snapshot = Snapshot()
        self.scope: Scope = FLEET
        self.copier = Copier()
        self.refused_at = -1e9  # monotonic: when the last refusal was said

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

    def refuse(self, reason: str | BayopsError, title: str = "Refused") -> None:
        text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
        if isinstance(reason, BayopsError) and not isinstance(reason, Refused):
            title = "Bad input" if reason.exit_code == 2 else "Failed"
        self.refused_at = time.monotonic()
        self.notify(text, title=title, severity="error", timeout=8)

    def action_copy(self) -> None:
        bay = self.selected_bay()
        key = cmds.BY_ID["copy"].key
        if time.monotonic() - self.refused_at < AFTER_REFUSAL_SECONDS:
            self.refused_at = -1e9  # meant to confirm what was refused: the next one copies
            self.notify(f"nothing copied: that {key} came right after a refusal ({key} again "
                        "copies)", title="Clipboard", timeout=4)
            return
        if bay is None:
            self.refuse("no bay selected", title="Copy")
            return
        what, text, following = self.copier.next(bay, self._profile_or_none)
        self.app.copy_to_clipboard(text)  # OSC 52: over SSH, in tmux with set-clipboard on
        held = tmux_holds_back()
        again = f" ({key} again: {following})" if following else ""
        self.notify(f"{what}: {text}: {held}" if held else f"copied {what}: {text}{again}",
                    title="Clipboard", severity="warning" if held else "information",
                    timeout=8 if held else 4)

    def _profile_or_none(self, name: str) -> Profile | None:
        try:
            return self.core.profile(name)
        except BayopsError:
            return None
