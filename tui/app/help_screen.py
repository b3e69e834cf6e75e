"""`?`: every key, from the same registry as the bindings and the command palette."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

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
             c.help + (" [changes state; confirmed]" if c.changes else "")) for c in COMMANDS]


def help_table(keymap: dict[str, str]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("KEY", no_wrap=True, width=10)
    table.add_column("ID", no_wrap=True, style="dim", width=22)
    table.add_column("WHAT IT DOES", ratio=1)
    for row in help_rows(keymap):
        table.add_row(*(plain(cell) for cell in row))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close")]

    def __init__(self, keymap: dict[str, str], header: str = "") -> None:
        super().__init__()
        self.keymap = keymap
        self.header = header
        self.rows = help_rows(keymap)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("bayops keys  (esc closes)", classes="title")
            with VerticalScroll():
                if self.header:
                    yield Static(plain(self.header), classes="hint")
                yield Static(help_table(self.keymap), id="help-table")
                yield Static(Text(NOTES), classes="hint", id="help-notes")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
