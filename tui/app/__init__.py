"""The Textual dashboard. Imported only when `bayops` runs without a sub-command."""
from __future__ import annotations

import argparse

from tui.core.config import Config
from tui.core.errors import BadInput


def run_dashboard(config: Config, args: argparse.Namespace) -> int:
    raise BadInput("the dashboard is not built yet; use the sub-commands (bayops --help)")
