"""Navigation: go to anything (palette and `:`), j/k/g/G, copy, the theme choice file."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, wait_for
from tui.app.bays_pane import BaysTable
from tui.app.fleet import Scope
from tui.app.groups_pane import GroupsTree
from tui.app.main_screen import MainScreen

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


def palette_open(app) -> bool:
    return type(app.screen).__name__ == "CommandPalette"


async def goto(pilot, text: str) -> None:
    await pilot.press("colon")
    await wait_for(pilot, lambda: palette_open(pilot.app))
    await pilot.press(*text)
    await pilot.pause(0.4)  # the palette searches in a worker
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
    await pilot.pause()


@pytest.mark.parametrize(("text", "scope"), [("domain db-dom2", Scope("domain", "db-dom2")),
                                             ("group lab", Scope("group", "lab")),
                                             ("enclosure enc-d2", Scope("enclosure", "enc-d2"))])
async def test_colon_goes_to_a_scope(core, text, scope):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await goto(pilot, text)
        screen = pilot.app.screen
        assert screen.scope == scope
        assert screen.query_one(GroupsTree).scope == scope


async def test_colon_goes_to_a_bay_and_a_profile_to_its_bay(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("c")  # a quick filter that hides the bay: cleared by the jump
        await goto(pilot, "bay enc-d2/5")
        screen = pilot.app.screen
        table = screen.query_one(BaysTable)
        assert table.bay.id == "enc-d2/5" and screen.focused is table
        assert screen.scope == Scope("enclosure", "enc-d2")
        await goto(pilot, "profile web-003")
        assert table.bay.id == "enc-w1/3"


async def test_ctrl_p_finds_names_next_to_commands(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: palette_open(pilot.app))
        await pilot.press(*"encw15")  # fuzzy
        await pilot.pause(0.4)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        await pilot.pause()
        assert pilot.app.screen.query_one(BaysTable).bay.id.startswith("enc-w1/5")
