"""Pilot tests for reading the dashboard through a shift: the attention order, the event
log and its detail, alerting and acknowledgement, the jobs pane, columns, zoom, footer."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, wait_jobs
from tui.app.bays_pane import BaysTable
from tui.app.fleet import ATTENTION

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


async def test_attention_most_urgent_first(core):
    core.sim_fault("enc-w2/4", "critical")  # enc-w1/5 is a warning in the demo fleet
    async with make_app(core).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        table = screen.query_one(BaysTable)
        await pilot.press("a")
        assert screen.scope == ATTENTION
        ids = [b.id for b in table.items]
        assert ids.index("enc-w2/4") < ids.index("enc-w1/5"), ids
        assert table.bay is not None and table.bay.id == "enc-w2/4"
