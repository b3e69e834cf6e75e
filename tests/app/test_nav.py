"""Navigation: go to anything (palette and `:`), j/k/g/G, copy, the theme choice file."""
from __future__ import annotations

import os

import pytest

from tests.app.conftest import make_app, type_fast, wait_for
from tui.app.bays_pane import BaysTable
from tui.app.fleet import Scope
from tui.app.groups_pane import GroupsTree
from tui.app.main_screen import MainScreen

SIZE = (120, 40)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


def palette_open(app) -> bool:
    return type(app.screen).__name__ == "CommandPalette"


async def goto(pilot, text: str) -> None:
    await pilot.press("colon", *text, "enter")  # in one burst: the box answers each key at once
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
    await pilot.pause()


@pytest.mark.parametrize("after", ["2", "z"])
async def test_a_key_typed_right_after_a_goto_is_applied_to_the_screen_behind(core, after):
    async with make_app(core).run_test(size=SIZE) as pilot:
        type_fast(pilot, ":", *"enc-d2", "enter", after)  # one burst, as a typist sends it
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        for _ in range(10):
            await pilot.pause(0.05)
        screen = pilot.app.screen
        assert screen.scope == Scope("enclosure", "enc-d2")
        if after == "2":
            assert screen.focused is screen.query_one(BaysTable)
        else:
            assert screen.maximized is screen.query_one(GroupsTree)


async def test_goto_finds_bays_and_profiles_at_16000_bays_and_follows_the_feed(core):
    """Its speed (<= 50 ms a keystroke) is measured by bench/goto_bench.py, not here."""
    import dataclasses

    from tui.app.fleet import Snapshot
    from tui.app.goto import search

    model = next(b for b in core.bays() if b.profile)
    snap = Snapshot()
    for e in range(1000):
        for n in range(1, 17):
            snap._add(dataclasses.replace(model, id=f"e{e:04d}/{n}", enclosure=f"e{e:04d}",
                                          number=n, profile=f"p{e:04d}-{n:02d}"))
    main = type("Main", (), {"snapshot": snap})()
    assert search(main, "zzz") == [] and search(main, "e12x9") == []
    assert search(main, "e0012/1")[0].name == "e0012/1"
    assert search(main, "profile p0999-16")[0].text == "profile p0999-16"
    moved = dataclasses.replace(snap.by_id["e0001/1"], profile="fresh-one")
    snap._replace(snap.by_id["e0001/1"], moved)  # what the change feed does
    assert search(main, "fresh")[0].name == "fresh-one"


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


async def test_vim_keys_in_lists_and_tree(core):
    from tui.app.jobs_pane import JobsList

    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree = screen.query_one(GroupsTree)
        await pilot.press("j")
        assert tree.cursor_line == 1
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line
        await pilot.press("k")
        assert tree.cursor_line == tree.last_line - 1
        await pilot.press("g")
        assert tree.cursor_line == 0
        await pilot.press("2")
        table = screen.query_one(BaysTable)
        await pilot.press("g", "j", "j")
        assert table.cursor == 2
        await pilot.press("k")
        assert table.cursor == 1
        await pilot.press("G")
        assert table.cursor == len(table.items) - 1
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("4")
        assert screen.focused is screen.query_one(JobsList)


async def test_enter_on_the_fleet_root_keeps_the_tree_open(core):
    async with make_app(core).run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(GroupsTree)
        assert tree.cursor_node is tree.root
        await pilot.press("enter")
        assert tree.root.is_expanded
        assert pilot.app.screen.focused is pilot.app.screen.query_one(BaysTable)
        # a group still folds and unfolds on enter
        tree.select_scope(Scope("group", "lab"))
        tree.focus()
        await pilot.pause()
        node = tree.cursor_node
        assert node.is_expanded
        await pilot.press("enter")
        assert not node.is_expanded


async def test_y_copies_bay_then_profile_mac_and_command(core):
    from tests.app.conftest import notifications

    core.sim_fault("enc-w1/3", "critical")
    mac = next(c.address for c in core.profile("web-003").connections if c.kind == "eth")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await goto(pilot, "bay enc-w1/3")
        copied = []
        for _ in range(5):
            await pilot.press("y")
            copied.append(pilot.app.clipboard)
        assert copied == ["enc-w1/3", "web-003", mac, "bayops failover enc-w1/3", "enc-w1/3"]
        said = notifications(pilot.app)
        assert "Clipboard: copied bay id: enc-w1/3 (y again: profile)" in said
        assert "Clipboard: copied suggested command: bayops failover enc-w1/3 (y again: bay id)" in said
        await goto(pilot, "bay enc-w2/16")  # a spare: only its id
        await pilot.press("y", "y")
        assert pilot.app.clipboard == "enc-w2/16"


async def test_y_under_tmux_says_how_to_let_the_copy_through_and_not_after_a_refusal(
        core, tmp_path, monkeypatch):
    from tests.app.conftest import notifications
    from tui.app.copy import tmux_holds_back

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "tmux").write_text("#!/bin/sh\necho external\n")
    (fake / "tmux").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    tmux_holds_back.cache_clear()
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await goto(pilot, "bay enc-w1/4")
            await pilot.press("y")
            said = notifications(pilot.app)[-1]
            assert "nothing reached your clipboard" in said and "set-clipboard on" in said, said
            await pilot.press("f", "y")  # a healthy bay: refused; that y meant "yes"
            assert pilot.app.screen.query_one("#bays").bay.id == "enc-w1/4"
            said = notifications(pilot.app)
            assert "right after a refusal" in said[-1], said
            assert sum("Clipboard" in n for n in said) == 2
    finally:
        tmux_holds_back.cache_clear()
