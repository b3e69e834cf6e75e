"""The dashboard's in-memory copy of what the core reported, and the bay views over it.

A poll worker asks the core for bays, groups, jobs and new events, builds a
``Snapshot`` off the main thread, and hands it to the UI in one message. Selecting
another group or domain filters this copy (a few milliseconds for 16,000 bays);
it never waits for the store.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tui.app import format as fmt
from tui.model.entities import Bay, DomainSummary, GroupSummary, Job


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


@dataclass
class Snapshot:
    bays: list[Bay] = field(default_factory=list)
    groups: list[GroupSummary] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    by_id: dict[str, Bay] = field(default_factory=dict)
    by_group: dict[str, list[Bay]] = field(default_factory=dict)
    by_domain: dict[str, list[Bay]] = field(default_factory=dict)
    by_enclosure: dict[str, list[Bay]] = field(default_factory=dict)
    domains: dict[str, DomainSummary] = field(default_factory=dict)

    @classmethod
    def build(cls, bays: list[Bay], groups: list[GroupSummary], jobs: list[Job]) -> Snapshot:
        snap = cls(bays=bays, groups=groups, jobs=jobs)
        for b in bays:
            snap.by_id[b.id] = b
            snap.by_group.setdefault(b.group, []).append(b)
            snap.by_domain.setdefault(b.domain, []).append(b)
            snap.by_enclosure.setdefault(b.enclosure, []).append(b)
        for g in groups:
            for d in g.domains:
                snap.domains[d.name] = d
        return snap

    def group(self, name: str) -> GroupSummary | None:
        return next((g for g in self.groups if g.name == name), None)

    def scope_bays(self, scope: Scope) -> list[Bay]:
        if scope.kind == "fleet":
            return self.bays
        if scope.kind == "attention":
            return [b for b in self.bays if fmt.needs_attention(b)]
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

    def critical(self) -> int:
        return sum(g.critical for g in self.groups)

    def empty_spare_pools(self) -> int:
        return sum(1 for g in self.groups if g.spares_ready == 0)

    def running_jobs(self) -> list[Job]:
        return [j for j in self.jobs if j.state == "running"]


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
