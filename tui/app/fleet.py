"""The dashboard's copy of the fleet (the core's FleetView) and the bay views over it.

A poll worker asks the view what changed since its revision (a few rows, not the fleet)
and hands the update to the UI in one message. Selecting another group or domain
filters this copy (a few milliseconds for 16,000 bays); it never waits for the store.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.app import format as fmt
from tui.core.view import FleetView
from tui.model.entities import Bay


@dataclass(frozen=True)
class Scope:
    """What the bays pane shows: the fleet, the attention list, a group, domain or enclosure."""

    kind: str  # fleet, attention, group, domain, enclosure
    name: str | None = None

    def label(self) -> str:
        if self.kind == "fleet":
            return "all bays"
        if self.kind == "attention":
            return "needs attention"
        return f"{self.kind} {self.name}"


FLEET = Scope("fleet")
ATTENTION = Scope("attention")


class Snapshot(FleetView):
    """The core's FleetView, with the scopes the bays pane shows. The attention list is
    kept as bays change, so a change costs the change, not a pass over the fleet."""

    def __init__(self) -> None:
        self.attention: set[str] = set()
        self.alerting: set[str] = set()  # critical bays nobody has acknowledged
        self.acked: set[str] = set()  # critical bays in the attention list someone acknowledged
        self.unseen: set[str] = set()  # NEW in the attention view until the cursor is on it
        self.noted: set[str] = set()  # bays with a note (the bays pane's NOTE column shows)
        self.at: dict[str, str] = {}  # profile -> the bay it runs on, kept as bays change
        # goto's NameIndexes over the bays, built when first asked (lowering each id and
        # profile then, not keeping a lowered copy per bay); None: build again
        self.goto_built: Any = None
        super().__init__()

    def needs_attention(self, bay: Bay) -> bool:
        """The attention view's rule, and a bay running a failed-over profile away from
        its home (it may fail back, or must not be taken for a free one)."""
        return fmt.needs_attention(bay) or (bay.profile is not None and bay.profile in self.homes)

    def bay_changed(self, old: Bay | None, new: Bay) -> None:
        attention = self.needs_attention(new)  # asked once: every feed change comes here
        self._mark_new(old, new, attention)
        if old is not None and old.profile and old.profile != new.profile \
                and self.at.get(old.profile) == old.id:
            del self.at[old.profile]
        if new.profile:
            self.at[new.profile] = new.id
        if old is not None and old.profile != new.profile:
            self.goto_built = None
        if attention:
            self.attention.add(new.id)
        else:
            self.attention.discard(new.id)
        if new.note is not None:
            self.noted.add(new.id)
        else:
            self.noted.discard(new.id)
        if fmt.alerting(new):
            self.alerting.add(new.id)
        else:
            self.alerting.discard(new.id)
        if new.id in self.attention and new.health == "critical" and new.acked_by is not None:
            self.acked.add(new.id)
        else:
            self.acked.discard(new.id)

    def _mark_new(self, old: Bay | None, new: Bay, attention: bool) -> None:
        """NEW until seen: a bay that comes to need attention (``attention``: ``new``
        does), or turns critical, while the dashboard runs (not the ones it found at start)."""
        if not attention or new.acked_by:  # acknowledged: seen
            self.unseen.discard(new.id)
        elif old is not None and (not self.needs_attention(old)
                                  or (new.health == "critical" and old.health != "critical")):
            self.unseen.add(new.id)

    def acked_critical(self) -> int:
        """Critical bays someone acknowledged (the header shows them beside CRIT, which, as
        the terminal title, counts only the others): kept as bays change, since the header
        asks on every feed batch."""
        return len(self.acked)

    def went(self, bay: Bay) -> str | None:
        """For a bay whose profile was failed over or evacuated away: where it runs now."""
        if bay.profile is not None:
            return None
        gone = next((p for p, home in self.homes.items() if home == bay.id), None)
        return None if gone is None else f"{gone} → {self.at.get(gone, '?')}"

    def triage(self, bay: Bay) -> tuple[str, bool]:
        """The needs-attention view's NEXT column: the core's next action, and NEW."""
        return self.next_action(bay), bay.id in self.unseen

    def scope_bays(self, scope: Scope) -> list[Bay]:
        if scope.kind == "fleet":
            return self.bays
        if scope.kind == "attention":
            by_id = self.by_id  # most urgent first, then in fleet order
            return [by_id[i] for i in sorted(
                self.attention, key=lambda i: (fmt.attention_rank(by_id[i]), self.position(i)))]
        index = {"group": self.by_group, "domain": self.by_domain,
                 "enclosure": self.by_enclosure}[scope.kind]
        return index.get(scope.name or "", [])

    def scope_group(self, scope: Scope) -> str | None:
        if scope.kind == "group":
            return scope.name
        if scope.kind == "domain":
            d = self.domains.get(scope.name or "")
            return d.group if d else None
        if scope.kind == "enclosure":
            bays = self.by_enclosure.get(scope.name or "")
            return bays[0].group if bays else None
        return None

    def scope_domain(self, scope: Scope) -> str | None:
        if scope.kind == "domain":
            return scope.name
        if scope.kind == "enclosure":
            bays = self.by_enclosure.get(scope.name or "")
            return bays[0].domain if bays else None
        return None


@dataclass
class BayQuery:
    """Quick filter + text filter + sort applied to a scope's bays."""

    quick: str | None = None
    text: str = ""
    sort: str = "bay"
    reverse: bool = False
    _search: dict[Bay, str] = field(default_factory=dict, repr=False)

    def apply(self, bays: list[Bay]) -> list[Bay]:
        out = bays
        if self.quick:
            pred = fmt.quick_filter(self.quick)
            out = [b for b in out if pred(b)]
        if self.text:
            words = self.text.lower().split()
            cache = self._search
            if len(cache) > 200_000:
                cache.clear()
            found = []
            for b in out:
                text = cache.get(b)
                if text is None:
                    text = cache[b] = fmt.search_text(b)
                if all(w in text for w in words):
                    found.append(b)
            out = found
        if self.sort != "bay" or self.reverse:
            out = sorted(out, key=fmt.sort_key(self.sort), reverse=self.reverse)
        return out

    def describe(self) -> str:
        parts = []
        if self.quick:
            parts.append(f"only {self.quick}")
        if self.text:
            parts.append(f"/{self.text}")
        if self.sort != "bay" or self.reverse:
            parts.append(f"sort {self.sort}{' desc' if self.reverse else ''}")
        return ", ".join(parts)
