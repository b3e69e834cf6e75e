"""Copy: `y` puts the selected bay's id on the clipboard through OSC 52 (Textual's
App.copy_to_clipboard; works over SSH, and in tmux with `set-clipboard on`). Pressed
again on the same bay it copies the next choice: the profile name, its first MAC, and
for a critical bay the suggested command."""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from tui.model.entities import Bay, Profile

AGAIN_SECONDS = 4.0  # a press within this of the last one on the same bay copies the next choice
AFTER_REFUSAL_SECONDS = 1.5  # a `y` this soon after a refusal was meant for the dialog refused


@cache
def tmux_holds_back() -> str:
    """Inside tmux whose ``set-clipboard`` is not ``on`` (its default is ``external``), a
    program's OSC 52 stops at tmux: the words to say so, else ''. Asked once."""
    if not os.environ.get("TMUX"):
        return ""
    try:
        value = subprocess.run(["tmux", "show-options", "-gv", "set-clipboard"],
                               capture_output=True, text=True, timeout=2).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""  # not known: say nothing rather than something wrong
    if not value or value == "on":
        return ""
    return (f"tmux has set-clipboard {value}: nothing reached your clipboard; "
            "`tmux set -g set-clipboard on` lets it through")


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
