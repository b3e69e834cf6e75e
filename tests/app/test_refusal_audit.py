"""A refusal on the dashboard is audited like the CLI's: a viewer pressing a key the role
does not allow leaves an ``access.refused`` event naming who and what, embedded and
through a service alike (the dashboard greys the key without asking the core, so it
asks it to record the refusal)."""
from __future__ import annotations

import getpass

import pytest

from tests.app.conftest import RESTRICTED, make_app, make_config, open_core
from tests.app.test_pilot import SIZE, select_bay

pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


@pytest.mark.parametrize("face", ["embedded", "served"])
async def test_a_viewer_pressing_failover_is_an_access_refused_event(face, fleet, tmp_path):
    from tests.serve_support import InProcessServer, socket_path

    config, state = fleet
    make_config(config, roles=RESTRICTED)  # default viewer: bob, and this OS user served
    server = None
    if face == "embedded":
        core, who = open_core(config, state, operator="bob"), "bob"
    else:
        server = InProcessServer(config, state, socket_path(tmp_path)).__enter__()
        core, who = server.client(), getpass.getuser()
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await select_bay(pilot, "enc-w1/5")
            await pilot.press("f")
            await pilot.app.workers.wait_for_complete()
        refused = [e for e in core.events(0, 500) if e.kind == "access.refused"]
        assert len(refused) == 1
        assert refused[0].data["who"] == who
        assert "failover needs limited-operator" in refused[0].data["why"]
    finally:
        core.close()
        if server is not None:
            server.__exit__(None, None, None)


@pytest.mark.parametrize("key", ["C", "E"])
async def test_complete_or_edit_outside_maintenance_is_an_access_refused_event(key, fleet):
    """The dashboard says why at once (no maintenance) and the core records the refusal,
    as it does for `bayops maintenance complete` or `bayops domain set` on that domain."""
    config, state = fleet
    core = open_core(config, state)
    try:
        async with make_app(core).run_test(size=SIZE) as pilot:
            await select_bay(pilot, "enc-w1/5")
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
        refused = [e for e in core.events(0, 500) if e.kind == "access.refused"]
        assert len(refused) == 1
        assert "web-dom1 is not in maintenance" in refused[0].data["why"]
    finally:
        core.close()
