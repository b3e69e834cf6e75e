"""Which driver a config asks for. Each driver is given only its own config section."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.core.config import Config
from tui.model.driver import Driver
from tui.model.errors import BadConfig


def make_driver(config: Config, state_path: Path, warn: Callable[[str], None],
                read_only: bool = False) -> Driver:
    """The configured driver; ``warn`` receives start-up warnings (e.g. TLS checks off).
    ``read_only``: the state file is opened read-only (the simulator keeps its hardware
    in it), through the store's own read-only connection."""
    if config.driver == "sim":
        from tui.drivers.sim import SimDriver

        if read_only:
            from tui.core.store.backends import SqliteBackend
            from tui.model.stateref import StateRef

            connect = SqliteBackend(StateRef.parse(state_path), True).connect
            return SimDriver(state_path, config.sim.latency, connect)
        return SimDriver(state_path, config.sim.latency)
    try:
        if config.driver == "oneview":
            from tui.drivers.oneview import OneViewDriver

            return OneViewDriver.from_config(config.raw.get("oneview", {}), config.path.parent,
                                             warn)
        from tui.drivers.redfish import RedfishDriver

        return RedfishDriver.from_config(config.raw.get("redfish", {}), config.path.parent, warn)
    except BadConfig as exc:  # the driver knows its table, not which file it came from
        raise exc.in_file(config.path) from None
