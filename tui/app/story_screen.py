"""A bay's story (Enter on a bay), the hand-over (H) and the note form (N): the core's
answers drawn as plain text (never markup), in dialogs that scroll at 80x24."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.app.form_screen import FormScreen
from tui.app.format import plain
from tui.model.entities import Bay
from tui.model.story import NOTE_MAX, BayStory
from tui.model.text import printable
from tui.story_text import story_lines

STYLES = {"title": "bold", "crit": "bold red", "warn": "yellow", "dim": "dim"}


def styled(lines: Sequence[tuple[str, str]]) -> Text:
    """Lines from tui.story_text as one Text: printable, styled by name, never parsed."""
    out = Text()
    for i, (line, style) in enumerate(lines):
        out.append(printable(line), style=STYLES.get(style, ""))
        if i < len(lines) - 1:
            out.append("\n")
    return out


class LinesScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="lines.close")]
    AUTO_FOCUS = "#lines-scroll"  # arrows and page keys scroll at once

    def __init__(self, title: str, lines: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="title", id="lines-title")
            with VerticalScroll(id="lines-scroll"):
                yield Static(styled(self.lines), id="lines-body")

    def action_close(self) -> None:
        self.dismiss(None)


class StoryScreen(LinesScreen):
    """One bay's story; j opens its newest job's journal."""

    BINDINGS = [Binding("j", "open_job", "Newest job", id="story.job")]

    def __init__(self, story: BayStory, open_job: Callable[[int], None]) -> None:
        super().__init__(f"Bay {story.bay.id} (esc closes, j opens its newest job)",
                         story_lines(story))
        self.story, self._open_job = story, open_job

    def action_open_job(self) -> None:
        if self.story.jobs:
            self._open_job(self.story.jobs[0].id)
        else:
            self.notify("no job has touched this bay", title="Jobs", timeout=3)


class NoteScreen(FormScreen):
    """The note on one bay: type and enter (or Save) leaves it, Clear removes it. Dismisses
    with the text, '' to clear, or None (cancel)."""

    AUTO_FOCUS = "#note"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel")]

    def __init__(self, bay: Bay) -> None:
        super().__init__()
        self.bay = bay

    def compose(self) -> ComposeResult:
        bay = self.bay
        now = (f"now: {bay.note} ({bay.note_by})" if bay.note
               else "no note on this bay yet")
        with Vertical(classes="dialog"):
            yield Static(plain(f"Note on {bay.id}"), classes="title")
            yield Static(plain(now), id="note-now")
            yield Static(plain(f"One line for the next shift, at most {NOTE_MAX} characters; "
                               "recorded with your name in the event log"), classes="section")
            yield Input(value=bay.note or "", max_length=NOTE_MAX, id="note")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="ok", variant="primary", compact=True)
                yield Button("Clear note", id="clear", compact=True, disabled=not bay.note)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    @on(Button.Pressed, "#clear")
    def _clear(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()  # FormScreen's handler would dismiss again: the main screen
        self.dismiss("")

    def _submit(self) -> None:
        text = self.query_one("#note", Input).value.strip()
        if not text:
            self.notify("type the note, or Clear note to remove it", severity="warning")
            return
        self.dismiss(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()
