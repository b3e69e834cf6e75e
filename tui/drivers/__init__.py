"""Drivers: how the core reaches hardware. ``make_driver`` picks one from the config."""
from __future__ import annotations

import sys
from pathlib import Path

from tui.core.config import Config


def make_driver(config: Config, state_path: Path, warn=None):
    if config.driver == "sim":
        from tui.drivers.sim import SimDriver

        return SimDriver(state_path, config.sim.latency)
    from tui.drivers.redfish import RedfishDriver

    def stderr_warning(message: str) -> None:
        print(f"bayops: warning: {message}", file=sys.stderr)

    return RedfishDriver.from_config(config.raw.get("redfish", {}), config.path.parent,
                                     warn or stderr_warning)
