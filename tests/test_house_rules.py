"""The house plan, checked: every job kind registered, files kept small, layers kept."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui.core.ops.registry import JOB_KINDS
from tui.model.params import PARAMS_BY_KIND

ROOT = Path(__file__).resolve().parents[1]


def test_every_job_params_class_has_a_runner_in_the_registry():
    assert set(JOB_KINDS) == {k for k, cls in PARAMS_BY_KIND.items() if cls.journaled}
    assert all(JOB_KINDS[k].params is PARAMS_BY_KIND[k] for k in JOB_KINDS)


def test_no_source_file_over_400_lines():
    big = {str(p.relative_to(ROOT)): n for p in (ROOT / "tui").rglob("*.py")
           if (n := len(p.read_text().splitlines())) > 400}
    assert big == {}


def test_core_imports_without_textual():
    code = ("import sys; sys.modules['textual'] = None; sys.modules['rich'] = None\n"
            "import tui.core.api, tui.core.monitor, tui.drivers.sim, tui.drivers.redfish")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
