"""`?`: every key, from the same registry as the bindings and the command palette."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.app.commands import COMMANDS
from tui.app.format import plain

KEY_NAMES = {"slash": "/", "question_mark": "?", "colon": ":", "escape": "esc", "shift+tab": "shift+tab"}

NOTES = """\
Health reads without colour: "X CRIT", "! WARN", "? UNKN", "ok"; power "on", "off", "?unk".
A bay held by a job shows "#<job>", a bay in a maintenance domain "MAINT".
Tree badges: "NO SPARE" (empty spare pool), "[MAINT owner time left]", "[alert]" policy, "[1 job]".
Coverage (a group's line, and the bays title of its scopes): "covers 1 enc" when its spares
take the profiles of any one lost enclosure, "no cover for Gen9" when not (W: the what-if).
Every change opens a confirmation with the plan first: y confirms, n or esc backs out.
Lists: up/down, pgup/pgdn, home/end; enter opens (a tree node, a job). Event log: End follows.
Keys are remapped in config.toml [keys], e.g. failover = "F"; ctrl+p opens the command palette."""


def key_label(key: str) -> str:
    return ",".join(KEY_NAMES.get(k, k) for k in key.split(","))


def help_rows(keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, binding id, what it does) for every command, with the keymap applied."""
    return [(key_label(keymap.get(c.id, c.key)), c.id,
             c.help + ((" [changes state; confirmed]" if c.confirmed else " [changes state]")
                       if c.changes else "")) for c in COMMANDS]


def help_table(rows: list[tuple[str, str, str]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("KEY", no_wrap=True, width=10)
    table.add_column("ID", no_wrap=True, style="dim", width=22)
    table.add_column("WHAT IT DOES", ratio=1)
    for row in rows:
        table.add_row(*(plain(cell) for cell in row))
    return table


def matching(rows: list[tuple[str, str, str]], query: str) -> list[tuple[str, str, str]]:
    """The rows whose key, id or text hold every word of ``query`` (any case)."""
    words = query.lower().split()
    return [r for r in rows if all(w in " ".join(r).lower() for w in words)]


class HelpScreen(ModalScreen[None]):
    # escape before the search box takes keys: a burst "? esc 3" closes help, then moves
    BINDINGS = [Binding("escape", "dismiss_help", "Close", id="help.close", priority=True)]

    def __init__(self, keymap: dict[str, str], header: str = "") -> None:
        super().__init__()
        self.keymap = keymap
        self.header = header
        self.rows = help_rows(keymap)
        self.shown = self.rows  # what the search leaves

    AUTO_FOCUS = "#help-search"  # `?` then a word: what is typed searches

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("bayops keys  (type to search, esc closes)", classes="title")
            yield Input(placeholder="search keys, ids and what they do", id="help-search",
                        compact=True)
            with VerticalScroll():
                if self.header:
                    yield Static(plain(self.header), classes="hint")
                yield Static(help_table(self.rows), id="help-table")
                yield Static(Text(NOTES), classes="hint", id="help-notes")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.shown = found = matching(self.rows, event.value)
        self.query_one("#help-table", Static).update(
            help_table(found) if found else plain(f"no key matches {event.value!r}"))
        self.query_one("#help-notes").display = not event.value.strip()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
