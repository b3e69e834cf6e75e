"""Drivers: how the core reaches hardware. ``make_driver`` picks one from the config."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.core.config import Config


def make_driver(config: Config, state_path: Path, warn: Callable[[str], None]):
    """The configured driver; ``warn`` receives start-up warnings (e.g. TLS checks off)."""
    if config.driver == "sim":
        from tui.drivers.sim import SimDriver

        return SimDriver(state_path, config.sim.latency)
    from tui.drivers.redfish import RedfishDriver

    return RedfishDriver.from_config(config.raw.get("redfish", {}), config.path.parent, warn)
