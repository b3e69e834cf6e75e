"""Auto-failover policy: which hardware events trigger what, and when a window is open."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from tui.model.errors import BadInput
from tui.model.text import quoted

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Pre-failure events and loss of health, as in VCEM's event handling.
TRIGGER_KINDS = ("critical", "cpu-threshold", "memory-errors", "no-answer")


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start_minute: int
    end_minute: int  # may be below start: the window runs past midnight

    def contains(self, when: float) -> bool:
        t = time.localtime(when)
        minute = t.tm_hour * 60 + t.tm_min
        if self.start_minute <= self.end_minute:
            return t.tm_wday in self.days and self.start_minute <= minute < self.end_minute
        # Overnight: the evening part belongs to the listed day, the morning to the next.
        if minute >= self.start_minute:
            return t.tm_wday in self.days
        return minute < self.end_minute and (t.tm_wday - 1) % 7 in self.days


_WINDOW_RE = re.compile(r"^\s*([a-z,\-]+)(?:\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2}))?\s*$")


def parse_window(text: str) -> Window:
    """``sat,sun`` or ``mon-fri 18:00-06:00``; times are local, end exclusive."""
    match = _WINDOW_RE.match(text.lower())
    if not match:
        raise BadInput(f"window {quoted(text)}: expected days and an optional time range, "
                       "e.g. 'sat,sun' or 'mon-fri 18:00-06:00'")
    days: set[int] = set()
    for part in match.group(1).split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise BadInput(f"window {quoted(text)}: {quoted(part)} is not a day or day range (mon..sun)")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        days.update(DAYS.index(DAYS[(first + i) % 7]) for i in range((last - first) % 7 + 1))
    start, end = 0, 24 * 60
    if match.group(2):
        h1, m1, h2, m2 = (int(match.group(i)) for i in range(2, 6))
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise BadInput(f"window {quoted(text)}: times must be 00:00..24:00")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise BadInput(f"window {quoted(text)}: the time range is empty")
    return Window(frozenset(days), start, end)


def decide(mode: str, window: str, kind: str, now: float) -> str:
    """What the policy does with a trigger: 'ignore', 'note', 'alert' or 'failover'."""
    if kind not in TRIGGER_KINDS:
        return "ignore"
    if mode == "manual":
        return "note"
    if window and not parse_window(window).contains(now):
        return "alert"  # outside the window auto only recommends
    return "failover" if mode == "auto" else "alert"
