"""Stored text with terminal escapes, bidi overrides and markup reaches the dashboard
(an older bayops wrote it, a BMC sent it, another operator set it): every screen shows it
escaped and as text, and no key crashes."""
from __future__ import annotations

import re

import pytest

from tests.app.conftest import make_app
from tui.app.fleet import Scope
from tui.app.groups_pane import GroupsTree

pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]
SIZE = (120, 40)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
OSC = "\x1b]2;OWNED\x07"


def poison(core) -> None:
    """Hostile text where validation at the door cannot reach: written straight to the store."""
    with core.store.write() as db:
        core.maintenance_start("lab-dom1", "fw")
        db.execute("UPDATE maintenance SET reason = ?, owner = ?",
                   (f"{OSC}[/]reason\n77 FORGED", "m[/]al\u202elory"))
        config = db.execute("SELECT config FROM domains WHERE name = 'lab-dom1'").fetchone()[0]
        db.execute("UPDATE domains SET config = ? WHERE name = 'lab-dom1'",
                   (config.replace('"firmware": "4.50"', '"firmware": "[/]4.70\\u001b[2J"'),))
    core.store.add_event("critical", "bay:enc-l1/1", "hardware.test",
                         f"BMC says {OSC}\x9b31m[bold]loud[/bold]\u202e", "bmc[/]\x00")


def assert_clean(app) -> None:
    svg = app.export_screenshot()
    assert not UNSAFE.search(svg), repr(UNSAFE.search(svg))


async def test_hostile_text_is_shown_escaped_everywhere(frozen_time, core):  # events of today: no date
    poison(core)
    app = make_app(core)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert_clean(app)
        assert "\\x1b]2;OWNED\\x07" in app.export_screenshot().replace("&#160;", " ")
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "lab-dom1"))
        await pilot.pause()
        assert_clean(app)
        for keys in (("question_mark",), ("E",), ("C",), ("X",), ("3", "J"), ("4", "J"),
                     ("ctrl+p",), ("a",), ("M",)):
            await pilot.press(*keys)
            await pilot.pause()
            assert_clean(app)
            await pilot.press("escape")
            await pilot.pause()
        assert pilot.app.is_running
