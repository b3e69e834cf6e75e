"""Copy: `y` puts the selected bay's id on the clipboard through OSC 52 (Textual's
App.copy_to_clipboard; works over SSH, and in tmux with `set-clipboard on`). Pressed
again on the same bay it copies the next choice: the profile name, its first MAC, and
for a critical bay the suggested command."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tui.model.entities import Bay, Profile

AGAIN_SECONDS = 4.0  # a press within this of the last one on the same bay copies the next choice


def choices(bay: Bay, profile: Callable[[str], Profile | None]) -> list[tuple[str, str]]:
    """(what, text) in the order repeated presses copy them."""
    out = [("bay id", bay.id)]
    if bay.profile:
        out.append(("profile", bay.profile))
        found = profile(bay.profile)
        mac = next((c.address for c in found.connections if c.kind == "eth"), None) if found else None
        if mac:
            out.append(("first MAC", mac))
    if bay.health == "critical" and bay.profile:
        out.append(("suggested command", f"bayops failover {bay.id}"))
    return out


@dataclass
class Copier:
    clock: Callable[[], float] = time.monotonic
    _last: tuple[str, int, float] | None = None  # bay, choice index, when

    def next(self, bay: Bay, profile: Callable[[str], Profile | None]) -> tuple[str, str, str | None]:
        """(what, text, what the next press copies)."""
        options = choices(bay, profile)
        now = self.clock()
        index = 0
        if self._last is not None:
            last_bay, last_index, when = self._last
            if last_bay == bay.id and now - when < AGAIN_SECONDS:
                index = (last_index + 1) % len(options)
        self._last = (bay.id, index, now)
        what, text = options[index]
        following = options[(index + 1) % len(options)][0] if len(options) > 1 else None
        return what, text, following
