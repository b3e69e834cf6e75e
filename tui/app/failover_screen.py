"""The failover confirmation with its choice: the spares of the group ranked by the core,
each with why it was or was not chosen. The plan's choice is highlighted; up and down
pick another usable one, and y (or enter on it) fails over to the highlighted spare."""
from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.widgets import Button, Static

from tui.app import format as fmt
from tui.app.confirm_screen import ConfirmScreen, PlanView
from tui.app.linelist import LineList, Parts
from tui.app.notes import answer


class CandidateList(LineList):
    def __init__(self, chosen: str | None, **kw) -> None:
        super().__init__(**kw)
        self.chosen = chosen

    def item_key(self, item) -> Hashable:
        return item.bay.id

    def item_parts(self, item, width: int) -> Parts:
        if item.bay.id == self.chosen:
            mark, style = " plan ", "ok"
        else:
            mark, style = ("  ok  ", "spare") if item.usable else ("  no  ", "dim")
        return [(mark, style), (f"{item.bay.id:12} ", "" if item.usable else "dim"),
                (item.reason, "" if item.usable else "dim")]


class FailoverScreen(ConfirmScreen):
    AUTO_FOCUS = "#candidates"
    DEFAULT_CSS = """
    FailoverScreen .dialog { width: 110; }
    FailoverScreen .dialog .body { max-height: 35vh; }  /* the plan scrolls; the choice stays */
    """

    def __init__(self, view: PlanView, candidates: list) -> None:
        super().__init__(view)
        self.candidates = candidates
        self.chosen = view.target

    def compose_choice(self) -> ComposeResult:
        yield Static(f"Spares of the group, ranked ({sum(c.usable for c in self.candidates)} "
                     "usable): up/down picks another, y or enter fails over to it",
                     classes="section")
        yield CandidateList(self.view.target, id="candidates")

    def on_mount(self) -> None:
        table = self.query_one(CandidateList)
        table.styles.height = min(len(self.candidates), 6) + 2  # rows and the border
        table.set_items(self.candidates)
        index = next((i for i, c in enumerate(self.candidates)
                      if c.bay.id == self.view.target), 0)
        table.move_cursor(index)

    def _pick(self) -> None:
        current = self.query_one(CandidateList).current
        if current is None:
            self.dismiss(True)  # no spare listed: the plan's own target
            return
        if not current.usable:
            self.app.bell()
            answer(self, fmt.plain(current.reason).plain, title="Not a usable spare")
            return
        self.chosen = current.bay.id
        self.dismiss(True)

    def action_answer(self, yes: bool) -> None:
        if yes:
            self._pick()
        else:
            self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()  # not ConfirmScreen's handler as well
        self.action_answer(event.button.id == "yes")

    def on_line_list_activated(self, event: LineList.Activated) -> None:
        event.stop()
        self._pick()
