"""The dashboard as a client of `bayops serve` when the server goes away and comes back."""
from __future__ import annotations

import re

import pytest

from tests.app.conftest import make_app, notifications, wait_for
from tui.app.header_bar import HeaderBar
from tui.app.main_screen import MainScreen

pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


async def test_a_lost_server_is_a_notification_and_the_dashboard_recovers(fleet, tmp_path):
    from tests.serve_support import InProcessServer, socket_path

    path = socket_path(tmp_path)
    server = InProcessServer(*fleet, path).__enter__()
    client = server.client()
    try:
        async with make_app(client, autopoll=True).run_test(size=(120, 40)) as pilot:
            await pilot.press("slash", *"enc-w1/3", "enter")
            await pilot.pause()
            server.__exit__(None, None, None)
            server = None
            header = pilot.app.screen.query_one(HeaderBar)
            for key in ("f", "m", "t", "enter"):  # each asks the server something
                await pilot.press(key)
                await pilot.pause()
                assert pilot.app.is_running and isinstance(pilot.app.screen, MainScreen)
            assert any(n.startswith("Server unreachable") for n in notifications(pilot.app))
            await wait_for(pilot, lambda: header.lost, timeout=15)
            assert re.search(r"SERVER LOST, data \d+s old", str(header.render()))
            assert pilot.app.screen.has_class("-stale"), "the panes' data is dimmed"
            path.unlink(missing_ok=True)
            server = InProcessServer(*fleet, path).__enter__()
            await wait_for(pilot, lambda: not header.lost, timeout=15)
            assert not pilot.app.screen.has_class("-stale")
            await pilot.press("f")
            await pilot.pause()
            assert pilot.app.is_running
    finally:
        client.close()
        if server is not None:
            server.__exit__(None, None, None)
