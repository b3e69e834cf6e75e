"""A bay's story and the shift hand-over: what the core answers, the faces only render."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.model.entities import Bay, Event, Job, Maintenance

NOTE_MAX = 500  # characters: a note is a line for the next shift, not a document


@dataclass(frozen=True)
class Note:
    bay: str
    text: str  # "" when the note was cleared
    by: str
    at: float
    seq: int  # the bay.note event that recorded it


@dataclass(frozen=True)
class BayStory:
    """One bay: its state now, where its profile belongs, and what happened to it."""

    bay: Bay
    home: str | None  # the profile here belongs on this bay (it is away from home)
    away: str | None  # the profile whose home this bay is, running elsewhere
    away_on: str | None  # where that profile runs now (None: on no bay)
    timeline: tuple[Event, ...]  # health changes, oldest first
    jobs: tuple[Job, ...]  # jobs that named this bay, newest first
    events: tuple[Event, ...]  # every event about this bay, newest first
    notes: tuple[Note, ...]  # newest first
    ack_comment: str = ""  # the comment of the acknowledgement the bay carries now

    def whereabouts(self) -> str:
        """'away from enc-d1/5' / 'home of web-010, which runs on enc-w2/4' / ''."""
        parts = []
        if self.home is not None:
            parts.append(f"{self.bay.profile} is away from {self.home}")
        if self.away is not None:
            on = f"runs on {self.away_on}" if self.away_on else "is on no bay"
            parts.append(f"home of {self.away}, which {on}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"bay": self.bay.to_dict(), "home": self.home, "away": self.away,
                "away_on": self.away_on, "whereabouts": self.whereabouts(),
                "timeline": [e.to_dict() for e in self.timeline],
                "jobs": [j.to_dict() for j in self.jobs],
                "events": [e.to_dict() for e in self.events],
                "notes": [vars(n) for n in self.notes], "ack_comment": self.ack_comment}


@dataclass(frozen=True)
class JobLine:
    id: int
    kind: str
    operator: str
    state: str
    summary: str
    created: float


@dataclass(frozen=True)
class Failback:
    profile: str
    home: str  # healthy again
    now_on: str | None


@dataclass(frozen=True)
class Handover:
    """What changed since ``since`` and what is open now, as of ``until``."""

    operator: str
    since: float
    until: float
    origin: str  # where since came from: 'last-look', 'asked', 'first-look' (a default)
    health: tuple[Event, ...]  # bays that turned critical, unknown or warning
    jobs: tuple[JobLine, ...]  # who did what, oldest first
    acks: tuple[Bay, ...]  # acknowledged bays, still not healthy
    drained: tuple[str, ...]  # enclosures drained now
    leases: tuple[Maintenance, ...]  # maintenance locks held now
    failbacks: tuple[Failback, ...]
    policy: tuple[Event, ...]  # the auto-failover policy's decisions and refusals
    refusals: tuple[Event, ...]  # actions refused to operators
    notes: tuple[Note, ...]

    def by_operator(self) -> dict[str, list[JobLine]]:
        out: dict[str, list[JobLine]] = {}
        for job in self.jobs:
            out.setdefault(job.operator, []).append(job)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "since": self.since, "until": self.until,
                "origin": self.origin,
                "health": [e.to_dict() for e in self.health],
                "jobs": [vars(j) for j in self.jobs],
                "acks": [b.to_dict() for b in self.acks], "drained": list(self.drained),
                "leases": [m.to_dict(self.until) for m in self.leases],
                "failbacks": [vars(f) for f in self.failbacks],
                "policy": [e.to_dict() for e in self.policy],
                "refusals": [e.to_dict() for e in self.refusals],
                "notes": [vars(n) for n in self.notes]}
