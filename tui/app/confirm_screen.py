"""The confirmation every state-changing action passes: it shows the plan (steps, the
chosen target and why, warnings) before anything happens. y confirms; n or escape
backs out and nothing changes."""
from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.app.format import plain
from tui.model.plan import Plan
from tui.model.text import printable


@dataclass
class PlanView:
    """What the confirmation shows: a core Plan, or the app's own question (quit)."""

    title: str
    summary: str
    steps: list[str] = field(default_factory=list)
    target: str | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # e.g. a config diff
    details_title: str = "Changes"
    confirm_label: str = "Yes, do it"
    danger: bool = False

    @classmethod
    def from_plan(cls, plan: Plan) -> PlanView:
        diff = plan.diff
        return cls(title=plan.title, summary=plan.summary, steps=list(plan.steps),
                   target=plan.target, reason=plan.reason, warnings=list(plan.warnings),
                   details=diff.lines() if diff else [],
                   details_title=diff.title if diff else "Changes",
                   confirm_label=plan.confirm_label, danger=plan.danger)

    def text(self) -> str:
        lines = [self.summary]
        if self.target:
            lines.append(f"Target: {self.target}")
        if self.reason:
            lines.append(f"Why: {self.reason}")
        if self.steps:
            lines.append("Steps:")
            lines += [f"  {i}. {s}" for i, s in enumerate(self.steps, 1)]
        if self.details:
            lines.append(f"{self.details_title}:")
            lines += [f"  {d}" for d in self.details]
        lines += [f"WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)


class ConfirmScreen(ModalScreen[bool]):
    AUTO_FOCUS = "#no"  # set as it mounts: a key typed right after opening lands here
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "No", show=False, id="confirm.escape"),
    ]

    def __init__(self, view: PlanView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        v = self.view
        with Vertical(classes="dialog", id="confirm"):
            yield Static(plain(v.title), classes="title")
            with VerticalScroll(classes="body"):
                yield Static(plain(v.summary, style="bold"), id="summary")
                if v.target:
                    yield Static(Text.assemble(("Target  ", "bold"), printable(v.target)), id="target")
                if v.reason:
                    yield Static(Text.assemble(("Why     ", "bold"), printable(v.reason)), id="reason")
                if v.steps:
                    yield Static("Steps", classes="section")
                    yield Static(plain(*(f" {i}. {s}" for i, s in enumerate(v.steps, 1))),
                                 id="steps")
                if v.details:
                    yield Static(plain(v.details_title), classes="section")
                    yield Static(plain(*(f" {d}" for d in v.details)), id="details")
                for w in v.warnings:
                    yield Static(plain(f"WARNING: {w}"), classes="warning")
            yield from self.compose_choice()
            with Horizontal(classes="buttons"):
                yield Button(f"{v.confirm_label} (y)", id="yes",
                             variant="error" if v.danger else "primary", compact=True)
                yield Button("No (n/esc)", id="no", compact=True)

    def compose_choice(self) -> ComposeResult:
        """Below the plan, before the buttons: what a confirmation that offers a choice adds."""
        yield from ()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
