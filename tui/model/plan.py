"""The one Plan type: what a change will do, shown before the operator confirms it.

Every state-changing operation has ``plan_x(...) -> Plan`` and ``x(..., expect=plan)``;
the second re-plans under the store's write lock and refuses (``plan-changed``) when the
fresh plan differs from the one the operator confirmed. The CLI and the dashboard render
Plans; neither writes step text of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.model.text import printable

if TYPE_CHECKING:
    from tui.model.params import JobParams


def __getattr__(name: str) -> Any:
    """``JobParams`` for the annotations' readers (``tui.model.api._Names``), imported
    when first asked: its ~30 dataclasses are made when a job is first decoded or
    planned, not at every start (entities shares this)."""
    if name == "JobParams":
        from tui.model.params import JobParams

        return JobParams
    raise AttributeError(name)

LEFT = "leave in place: "  # an evacuation's forced plan: its first steps, one per shortfall


@dataclass(frozen=True)
class Change:
    """One line of a configuration diff: ``op`` is + (added), - (removed), ~ (changed)."""

    op: str
    kind: str  # network, fabric, firmware, user
    name: str
    old: str | None
    new: str | None

    @property
    def text(self) -> str:
        label = {"network": "vlan ", "user": "role "}.get(self.kind, "")
        name = f" {self.name}" if self.name else ""
        if self.op in "+-":
            value = self.new if self.op == "+" else self.old
            return f"{self.op} {self.kind}{name}" + (f" {label}{value}" if value is not None else "")
        return f"~ {self.kind}{name} {label}{self.old} -> {self.new}"

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "kind": self.kind, "name": self.name, "old": self.old,
                "new": self.new, "text": self.text}


@dataclass(frozen=True)
class Diff:
    """A structured diff with a title saying what it is against."""

    title: str
    changes: tuple[Change, ...]
    empty_text: str = "(no change)"

    def lines(self) -> list[str]:
        return [c.text for c in self.changes] or [self.empty_text]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class Plan:
    kind: str  # the job kind that carries it out
    title: str  # what the confirmation is titled, e.g. "Fail over enc-w1/3"
    summary: str  # one line
    steps: tuple[str, ...]
    params: JobParams  # what the job runs with; a re-plan must produce the same
    locks: tuple[str, ...] = ()
    source: str | None = None
    target: str | None = None
    profile: str | None = None
    reason: str = ""
    warnings: tuple[str, ...] = ()
    diff: Diff | None = None
    danger: bool = False  # forced, or undoes work: the faces mark it
    confirm_label: str = "Yes, do it"
    shortfalls: tuple[str, ...] = ()  # a forced plan's profiles left where they are: "name: why"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, "steps": list(self.steps),
                "source": self.source, "target": self.target, "profile": self.profile,
                "reason": self.reason, "warnings": list(self.warnings),
                "diff": self.diff.to_dict() if self.diff else None,
                "shortfalls": list(self.shortfalls), "params": self.params.to_json()}

    def text(self) -> str:
        """The plan as the CLI prints it before asking, and for --dry-run."""
        lines = [printable(self.summary)]
        if self.reason:
            lines.append(f"  reason: {printable(self.reason)}")
        lines += [f"  {i}. {printable(s)}" for i, s in enumerate(self.steps, 1)]
        if self.diff is not None:
            lines.append(f"  {self.diff.title}:")
            lines += [f"    {printable(line)}" for line in self.diff.lines()]
        lines += [f"  warning: {printable(w)}" for w in self.warnings]
        return "\n".join(lines)
