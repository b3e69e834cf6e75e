"""Auto-failover windows and decisions, and state-file versioning."""
from __future__ import annotations

import sqlite3
import time

import pytest

from tui.core.autofailover import decide, parse_window
from tui.core.store import Store
from tui.core.store.schema import SCHEMA_VERSION
from tui.model.errors import BadInput
from tui.model.stateref import StateRef

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def at(day: int, hour: int, minute: int = 0) -> float:
    """A local timestamp on weekday ``day`` (0 = Monday) of a known week."""
    monday = time.mktime((2026, 11, 23, 0, 0, 0, 0, 0, -1))  # Monday 23 Nov 2026
    return monday + day * 86400 + hour * 3600 + minute * 60


def test_weekend_window_covers_all_of_saturday_and_sunday_only():
    w = parse_window("sat,sun")
    assert w.contains(at(5, 0)) and w.contains(at(6, 23, 59))
    assert not w.contains(at(4, 23, 59)) and not w.contains(at(0, 0))


def test_overnight_window_runs_past_midnight_into_the_next_day():
    w = parse_window("mon-fri 18:00-06:00")
    assert w.contains(at(0, 18)) and w.contains(at(1, 5, 59))  # Monday evening, Tuesday morning
    assert not w.contains(at(0, 12)) and not w.contains(at(0, 5))  # Monday noon; Monday early = Sunday night
    assert w.contains(at(5, 3))  # Saturday 03:00 belongs to Friday night
    assert not w.contains(at(5, 20))


@pytest.mark.parametrize("text", ["someday", "sat 9-10", "mon 10:00-10:00", "fri-sat-sun", "sat 24:30-25:00"])
def test_malformed_windows_are_refused(text):
    with pytest.raises(BadInput):
        parse_window(text)


def test_decisions_per_mode_and_window():
    monday_noon = at(0, 12)
    assert decide("manual", "", "critical", monday_noon) == "note"
    assert decide("alert", "", "memory-errors", monday_noon) == "alert"
    assert decide("auto", "", "cpu-threshold", monday_noon) == "failover"
    assert decide("auto", "sat,sun", "critical", monday_noon) == "alert"
    assert decide("auto", "sat,sun", "critical", at(5, 12)) == "failover"
    assert decide("auto", "", "healed", monday_noon) == "ignore"


@pytest.mark.sqlite_only  # the file's own header
def test_state_from_a_newer_bayops_is_refused_untouched(tmp_path):
    path = tmp_path / "state.db"
    Store(StateRef.parse(path)).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(BadInput, match="newer than this bayops"):
        Store(StateRef.parse(path))
    assert path.read_bytes() == before
