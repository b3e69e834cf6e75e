"""A job journaled by an older release resumes under this one: its step keys still match."""
from __future__ import annotations

import os
import sqlite3
from collections import Counter
from pathlib import Path

from conftest import ROOT

from tui.core.api import Core
from tui.core.config import load_config

FIXTURE = ROOT / "tests" / "fixtures" / "journal_r11"


def test_a_failover_killed_under_release_11_is_resumed_to_done(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    state = folder / "state.db"
    db = sqlite3.connect(state)
    db.executescript((FIXTURE / "state.sql").read_text())
    db.close()
    os.chmod(state, 0o600)
    core = Core.open(load_config(FIXTURE / "config.toml"), str(state), operator="tester",
                     resume=False)
    try:
        # its process is long gone: shown as interrupted, not as running
        assert [j.state for j in core.jobs()] == ["interrupted"]
        [(job, outcome)] = core.resume_interrupted()
        assert outcome == "done", [(s.name, s.state, s.detail) for s in job.steps]
        # the steps release 11 finished are not run again; its running power-on is
        # interrupted (a state, not words) and run once more
        ran = Counter(s.name for s in job.steps if s.state == "done")
        assert ran == {"choose target enc-w1/7": 1, "power off enc-w1/1": 1,
                       "remove profile from enc-w1/1": 1,
                       "apply profile to enc-w1/7 (attempt 1)": 1,
                       "power on enc-w1/7 (attempt 1)": 1}
        assert [s.name for s in job.steps if s.state == "interrupted"] == [
            "power on enc-w1/7 (attempt 1)"]
        assert core.profile("web-001").bay == "enc-w1/7"
        assert core.driver.applied_profiles().get("enc-w1/7") == "web-001"
        assert "web-001" not in {core.driver.applied_profiles().get("enc-w1/1")}
    finally:
        core.close()
