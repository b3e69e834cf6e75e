"""The Redfish driver: real BMCs over DMTF Redfish (DSP0266) with httpx.

Shape: one asyncio event loop in a background thread (:mod:`.loop`) owns one pooled
``httpx.AsyncClient`` per BMC origin (:mod:`.fleet`); the synchronous :class:`Driver`
methods submit coroutines to it and block on the result. A fleet-wide semaphore
bounds the requests in flight. See docs/redfish.md for the configuration and for how
bayops concepts map onto Redfish resources.

Messages: every error is one line, starts with the bay, and passes through a
scrubber that removes every password and session token the driver knows.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from tui.drivers.redfish.boot import Boot
from tui.drivers.redfish.config import RedfishConfig, parse_config
from tui.drivers.redfish.fleet import Fleet
from tui.drivers.redfish.inventory import Inventory
from tui.drivers.redfish.loop import LoopThread
from tui.drivers.redfish.power import Power
from tui.drivers.redfish.profile import Profiles
from tui.drivers.redfish.watcher import Watcher
from tui.model.driver import ApplyReport, BayInventory, DriverError, HardwareEvent, NoAnswer, Reading
from tui.model.entities import DomainConfig, Profile, ServerInfo

T = TypeVar("T")


class RedfishDriver:
    """Driver protocol over Redfish. Build it with :meth:`from_config`."""

    name = "redfish"

    def __init__(self, config: RedfishConfig) -> None:
        self._cfg = config
        self._loop = LoopThread("bayops-redfish")
        self._fleet = Fleet(config)
        self._inventory = Inventory(self._fleet)
        self._watcher = Watcher(self._fleet, self._inventory)
        boot = Boot(self._fleet)
        self._power = Power(self._fleet, self._watcher.note_power, boot)
        self._profiles = Profiles(self._fleet, boot)

    @classmethod
    def from_config(
        cls, section: dict[str, Any], config_dir: pathlib.Path, warn: Callable[[str], None]
    ) -> RedfishDriver:
        """Validate the ``[redfish]`` table; BadInput("config: redfish.<key>: ...") if wrong."""
        return cls(parse_config(section, pathlib.Path(config_dir), warn))

    def __repr__(self) -> str:
        state = "closed" if self._loop.closed else "open"
        return f"<RedfishDriver {len(self._fleet.specs)} bays, {self._fleet.clients} BMC clients, {state}>"

    def _on_bay(self, bay: str, coro: Coroutine[Any, Any, T], what: str) -> T:
        """Run one bay's operation; its BMC's failures come back as one-line DriverErrors."""
        return self._loop.run(self._fleet.guard(bay, coro), what)

    def _power_op(self, bay: str, coro: Coroutine[Any, Any, T], what: str) -> T:
        """A power operation of ours: the event watcher does not report its change as news."""
        return self._on_bay(bay, self._watcher.owning_power(bay, coro), what)

    def discover(self, bays: list[str]) -> dict[str, ServerInfo | None]:
        return self._loop.run(self._inventory.discover(bays), "discover")

    def inventory(self, bays: list[str]) -> dict[str, BayInventory]:
        """Per bay: one dead BMC is that bay's error, not the sweep's."""
        return self._loop.run(self._inventory.inventory(list(bays)), "inventory")

    def read(self, bays: list[str]) -> dict[str, Reading]:
        return self._loop.run(self._watcher.sweep(list(bays)), "read")

    def power_off(self, bay: str, graceful_deadline: float) -> str:
        """'graceful', 'forced' or 'already off'; NoAnswer if unreachable; DriverError if it stays on."""
        return self._power_op(bay, self._power.off(bay, graceful_deadline), "power off")

    def fence(self, bay: str) -> str:
        try:
            return self._power_op(bay, self._power.fence(bay), "fence")
        except NoAnswer as exc:
            # the BMC answered the fence check but went away while we waited for Off
            raise DriverError(f"{exc}; cannot confirm the bay is fenced") from None

    def power_on(self, bay: str) -> str | None:
        """A note for the journal: a one-time boot override re-applied, a restart of a
        server already on, staged boot settings verified after the boot."""
        return self._power_op(bay, self._power.on(bay), "power on") or None

    def apply_profile(self, bay: str, profile: Profile) -> ApplyReport:
        return self._on_bay(bay, self._profiles.apply(bay, profile), "apply profile")

    def clear_profile(self, bay: str, profile: str) -> None:
        """Boot override off; MACs/WWPNs back to the Permanent ones. DriverError if an address
        stays. A BMC names no profile, so ``profile`` has nothing to be checked against."""
        self._on_bay(bay, self._profiles.clear(bay), "clear profile")

    def apply_domain_config(self, domain: str, config: DomainConfig) -> str:
        return (
            f"Redfish cannot express Virtual Connect domain configuration: nothing was pushed for "
            f"domain {domain} (networks, fabrics, storage settings and credentials, firmware "
            "baseline and users stay as configured on the interconnects)"
        )

    def events(self) -> list[HardwareEvent]:
        """Events since the last call. The first call starts the streams and the poller."""
        if self._loop.closed:
            return []
        self._watcher.start(self._loop)
        return self._watcher.drain()

    def close(self) -> None:
        """Cancel streams, DELETE Redfish sessions, close every client, stop the loop."""
        self._loop.close(self._fleet.aclose, timeout=self._cfg.timeout + 10)
