"""Enter on a bay (its story), N (a note on it) and H (the hand-over), embedded and as a
client of `bayops serve`; hostile note text is shown as written, never as markup."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, wait_for, wait_jobs
from tests.app.test_pilot import core, select_bay  # noqa: F401  (the embedded/served fixture)
from tui.app.bays_pane import BaysTable
from tui.app.main_screen import MainScreen
from tui.app.story_screen import LinesScreen, NoteScreen, StoryScreen

SIZE = (80, 24)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]
HOSTILE = "reseat [bold]DIMM[/bold] \x1b[31mnow"


def body(screen) -> str:
    return str(screen.query_one("#lines-body").render())


async def test_enter_on_a_bay_opens_its_story_and_escape_closes_it(core):  # noqa: F811
    core.sim_fault("enc-w1/3", "critical")
    target = core.failover("enc-w1/3").params.target
    core.note_bay("enc-w1/3", HOSTILE)
    async with make_app(core).run_test(size=SIZE) as pilot:
        await select_bay(pilot, "enc-w1/3")
        await pilot.press("enter")
        screen = pilot.app.screen
        assert isinstance(screen, StoryScreen)
        text = body(screen)
        assert f"home of web-003, which runs on {target}" in text
        assert "ok -> critical" in text and "failover done" in text
        assert "reseat [bold]DIMM[/bold] [31mnow" in text  # literally: no markup, no escape
        scroll = screen.query_one("#lines-scroll")
        assert scroll.max_scroll_y > 0  # longer than 24 lines: it scrolls
        await pilot.press("end")
        assert scroll.scroll_target_y > 0 or scroll.scroll_y > 0
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_n_leaves_a_note_that_shows_in_the_row_and_clears_it(core):  # noqa: F811
    async with make_app(core).run_test(size=(160, 40)) as pilot:
        await select_bay(pilot, "enc-w1/4")
        await pilot.press("N")
        assert isinstance(pilot.app.screen, NoteScreen)
        await pilot.press(*"call vendor about fan 3 before the window", "enter")
        await wait_jobs(pilot)
        assert core.bay("enc-w1/4").note == "call vendor about fan 3 before the window"
        table = pilot.app.screen.query_one(BaysTable)
        row = table.render_line(1).text
        assert "call vendor" in row and "…" in row  # cut with an ellipsis
        await pilot.press("N")
        await pilot.click("#clear")
        await wait_jobs(pilot)
        assert core.bay("enc-w1/4").note is None
        await pilot.press("N", "escape")
        assert isinstance(pilot.app.screen, MainScreen) and core.bay("enc-w1/4").note is None
        core.note_bay("enc-w1/4", "[b]x[/] \x1b[2J")  # another operator's, hostile
        pilot.app.refresh_now()
        await pilot.pause()
        assert "[b]x[/] [2J" in table.render_line(1).text  # as written, never markup


async def test_h_shows_the_handover_and_records_the_look(core, fleet):  # noqa: F811
    core.sim_fault("enc-w1/3", "critical")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("H")
        screen = pilot.app.screen
        assert isinstance(screen, LinesScreen)
        text = body(screen)
        assert "Hand-over for" in text and "you have not looked before" in text
        assert "enc-w1/3 ok -> critical" in text
        await wait_for(pilot, lambda: core.handover().origin == "last-look")
        await pilot.press("escape", "H")
        assert "your last look" in body(pilot.app.screen)
        assert "New criticals and warnings: none" in body(pilot.app.screen)


async def test_quitting_records_the_look(core):  # noqa: F811
    assert core.handover().origin == "first-look"
    async with make_app(core).run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert pilot.app.return_code == 0
    assert core.handover().origin == "last-look"
