"""What the operator points at: the scope in the groups tree and the bay under the cursor.

A helper the main screen owns (``screen.selection``): the permission checks and the
actions ask it which bay, domain or group a command would act on. The copy key lives
here too: it copies what is selected.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tui.app import commands as cmds
from tui.app.bays_pane import BaysTable
from tui.app.copy import AFTER_REFUSAL_SECONDS, Copier, tmux_holds_back
from tui.model.entities import Bay, Maintenance, Profile
from tui.model.errors import BayopsError

if TYPE_CHECKING:
    from tui.app.main_screen import MainScreen


class Selection:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.copier = Copier()

    def bay(self) -> Bay | None:
        return self.screen.query_one(BaysTable).bay

    def domain(self) -> str | None:
        screen = self.screen
        domain = screen.snapshot.scope_domain(screen.scope)
        if domain is None:
            bay = self.bay()
            domain = bay.domain if bay else None
        return domain

    def group(self, target: str) -> str | None:
        """The group a command on ``target`` (bay, domain, group) acts on."""
        snapshot = self.screen.snapshot
        if target == "bay":
            bay = self.bay()
            return bay.group if bay else None
        if target == "domain":
            summary = snapshot.domains.get(self.domain() or "")
            return summary.group if summary else None
        if target == "group":
            group = snapshot.scope_group(self.screen.scope)
            if group is None:
                bay = self.bay()
                group = bay.group if bay else None
            return group
        return None

    def maintenance(self, domain: str) -> Maintenance | None:
        summary = self.screen.snapshot.domains.get(domain)
        return summary.maintenance if summary else None

    def copy(self) -> None:
        screen = self.screen
        bay = self.bay()
        key = cmds.BY_ID["copy"].key
        if time.monotonic() - screen.refused_at < AFTER_REFUSAL_SECONDS:
            screen.refused_at = -1e9  # meant to confirm what was refused: the next one copies
            screen.notify(f"nothing copied: that {key} came right after a refusal ({key} again "
                          "copies)", title="Clipboard", timeout=4)
            return
        if bay is None:
            screen.refuse("no bay selected", title="Copy")
            return
        what, text, following = self.copier.next(bay, self._profile_or_none)
        screen.app.copy_to_clipboard(text)  # OSC 52: over SSH, in tmux with set-clipboard on
        held = tmux_holds_back()
        again = f" ({key} again: {following})" if following else ""
        screen.notify(f"{what}: {text}: {held}" if held else f"copied {what}: {text}{again}",
                      title="Clipboard", severity="warning" if held else "information",
                      timeout=8 if held else 4)

    def _profile_or_none(self, name: str) -> Profile | None:
        try:
            return self.screen.core.profile(name)
        except BayopsError:
            return None
