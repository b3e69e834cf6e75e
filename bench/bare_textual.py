"""The floor for bench/dashboard_real.py: the least a Textual app costs in the same terminal.

    python bench/bare_textual.py label   # paints one label, then idles
    python bench/bare_textual.py list    # an OptionList of 200 items, focused; Down moves it

Run by the harness with the same Python and the same tmux setup as `bayops`, so the
difference between the two is what bayops adds (its imports, its state, its polling).
"""
from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Label, OptionList

READY = "bare textual ready"


class BareLabel(App):
    def compose(self) -> ComposeResult:
        yield Label(READY)


class BareList(App):
    def compose(self) -> ComposeResult:
        yield Label(READY)
        # unique first words, so the harness can tell one highlighted line from the next
        yield OptionList(*(f"item-{i:03d} bare textual option" for i in range(200)))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()


if __name__ == "__main__":
    (BareList if sys.argv[1:] == ["list"] else BareLabel)().run()
