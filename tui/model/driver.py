"""The one small protocol through which the core reaches hardware.

Every method is synchronous and may take seconds (real BMCs do); the core calls it
from job threads. A driver raises :class:`DriverError` for anything the hardware
refused or did not answer, with a one-line message fit for a job step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from tui.model.entities import DomainConfig, Profile, ServerInfo
from tui.model.upkeep import PortStatus


class DriverError(Exception):
    """The hardware refused, failed or did not answer. Message: one line, no secrets."""


class NoAnswer(DriverError):
    """The BMC did not answer at all: the bay's real state is unknown."""


@dataclass(frozen=True)
class Reading:
    """One bay's state as the hardware reports it now."""

    power: str  # on, off, unknown
    health: str  # ok, warning, critical, unknown
    detail: str = ""


@dataclass(frozen=True)
class HardwareEvent:
    """Something the hardware told us without being asked (SSE, SNMP trap, sim)."""

    bay: str
    kind: str  # critical, cpu-threshold, memory-errors, no-answer, healed, power-on, power-off, ...
    severity: str  # info, warning, critical
    message: str


@dataclass(frozen=True)
class ApplyReport:
    """What of a profile the hardware took, for the job journal.

    ``not_applied`` is informative (the profile still runs, e.g. VLANs Redfish cannot
    express); ``failed`` lists what the profile needs and the hardware did not take
    (e.g. the boot override of a boot-from-SAN profile): the core treats the target as
    unable to run the profile, takes it back and tries the next spare.
    """

    applied: tuple[str, ...]
    not_applied: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    def summary(self) -> str:
        text = "applied: " + (", ".join(self.applied) or "nothing")
        if self.failed:
            text += "; REQUIRED but not applied: " + ", ".join(self.failed)
        if self.not_applied:
            text += "; not applied: " + ", ".join(self.not_applied)
        return text


@dataclass(frozen=True)
class BayInventory:
    """What one bay holds now, as rediscovery reads it."""

    server: ServerInfo | None  # None: the bay is empty
    error: str = ""  # its BMC failed: the server is unknown, the bay stays as recorded


class Driver(Protocol):
    name: str  # "sim" or "redfish"

    def discover(self, bays: list[str]) -> dict[str, ServerInfo | None]:
        """Inventory of the named bays; None for an empty bay."""

    def inventory(self, bays: list[str]) -> dict[str, BayInventory]:
        """What is in each bay now (model, generation, serial), bay by bay: a bay whose BMC
        fails gets its error in its own entry, and the other bays still answer."""

    def read(self, bays: list[str]) -> dict[str, Reading]:
        """Power and health of every named bay (one sweep; unreachable -> unknown)."""

    def power_off(self, bay: str, graceful_deadline: float) -> str:
        """Graceful shutdown, then force off once the deadline passes.

        Returns how it went off ("graceful", "forced"). Raises NoAnswer when the BMC
        cannot be reached, DriverError when the power stays on.
        """

    def fence(self, bay: str) -> str:
        """Isolate a bay whose BMC does not answer so its identities cannot be in use.

        Returns a sentence saying how, for the journal. Raises DriverError if it cannot.
        """

    def power_on(self, bay: str) -> str | None:
        """Power on and wait until the hardware reports on; DriverError otherwise.

        A server already on whose boot settings changed since it booted is restarted.
        May return a note for the journal (e.g. a one-time boot override re-applied, or
        staged settings verified after the boot).
        """

    def apply_profile(self, bay: str, profile: Profile) -> ApplyReport: ...

    def clear_profile(self, bay: str, profile: str) -> str | None:
        """Take bayops's ``profile`` off ``bay``. Where the hardware or its manager names the
        profile it holds, a different one there (e.g. put there from a console) is left as
        it is: DriverError, so a failover never unassigns what bayops did not place.
        May return a note for the journal (e.g. how a manager was made to let it go)."""

    def apply_domain_config(self, domain: str, config: DomainConfig) -> str:
        """Push a domain's networks, fabrics, storage and users; returns what was done.
        Never changes the firmware its modules run: that is staged one enclosure at a time
        (``DomainMaintenanceDriver.stage_firmware``), and ``config.firmware`` is the target."""

    def events(self) -> list[HardwareEvent]:
        """Hardware events that arrived since the previous call (non-blocking)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class ManagedProfile:
    """A profile as the manager that owns it holds it (e.g. HPE OneView): ``profile.bay``
    is where the manager has it now (None: unassigned), ``profile.group`` is empty (the
    fleet's mapping decides); ``enclosures`` are those its manager lets it run in (an
    unassigned one's group is the group holding them); ``virtual``: its MACs, WWPNs and
    serial are the manager's and move with it; ``version`` changes with every edit."""

    profile: Profile
    enclosures: tuple[str, ...]
    virtual: bool
    version: str


@dataclass(frozen=True)
class ManagedGroup:
    """A domain group as the manager lays it out (OneView: an enclosure group and its
    logical interconnect group): its baseline networks (name -> VLAN) and fabrics, and its
    domains (OneView: logical enclosures), each ((enclosure, bays), ...); its firmware
    baseline (OneView: the LIG's SPP version; empty if it pins none)."""

    name: str
    networks: dict[str, int]
    fabrics: tuple[str, ...]
    domains: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    firmware: str = ""


@runtime_checkable
class ProfileManager(Protocol):
    """What a driver offers whose profiles live in a manager rather than on the blade
    (HPE OneView): the manager allocates and holds the identities, bayops adopts them
    as they are and keeps the spare pools, the policy and the journal.
    ``apply_profile`` there reassigns the manager's profile, ``clear_profile`` unassigns it."""

    def describe(self) -> dict[str, str]:
        """The manager, its API version and what it maps, for ``bayops info``."""

    def managed_profiles(self) -> list[ManagedProfile]:
        """Every profile the manager holds (a bounded, paged sweep)."""

    def layout(self) -> list[ManagedGroup]:
        """The fleet as the manager organises it (for a config that names no groups)."""

    def refusal(self, profile: str, bay: str, source: str | None = None) -> str | None:
        """Which of the manager's own rules would refuse ``profile`` on ``bay``, if any;
        also when ``source`` (where bayops has it) holds another profile on the manager."""

    def domain_edit_refusal(self, domain: str, key: str, value: str) -> str | None:
        """Why the manager has no place for this ``domain set`` edit (a setting it keeps
        elsewhere, a network or version it lacks), if so: refused before the plan."""

    def make_baseline(self, domain: str, config: DomainConfig) -> str:
        """Make ``domain``'s configuration its group's baseline where the manager keeps
        one (OneView: the LIG, updated from the domain's LI; the LI read back consistent),
        also when the group has no other domain: the end of a maintenance."""

    def mark_spares(self, spares: list[str], others: list[str]) -> dict[str, str]:
        """Mark ``spares`` as bayops's spares on the manager and unmark ``others``;
        returns the spares that hold a profile there now, with that profile's name."""


@runtime_checkable
class VersionedReadings(Protocol):
    """A driver that can tell cheaply whether what a sweep reads may have changed: the
    monitor's sweep then skips what did not (an idle fleet, or the ports of a busy one)."""

    def hardware_version(self, part: str) -> int | None:
        """A number that differs after any change of ``part`` ("readings": power and health;
        "ports": the uplink ports); None when the driver cannot tell."""


@runtime_checkable
class SimulatedHardware(Protocol):
    """What a simulator offers beyond the protocol: hardware to install, insert, remove and
    swap, faults to inject,
    and pruning the hardware events it already delivered (during an archive)."""

    def install(self, servers: dict[str, tuple[ServerInfo | None, str | None]],
                domains: dict[str, DomainConfig] | None = None) -> None: ...

    def insert(self, bay: str, server: ServerInfo) -> None:
        """A blade pushed into an empty bay (or replacing the one there: a swap)."""

    def remove(self, bay: str) -> None:
        """The blade pulled out of the bay."""

    def inject(self, bay: str, kind: str) -> str: ...

    def heal(self, bay: str) -> None: ...

    def bay_state(self, bay: str) -> tuple[str | None, str, bool] | None:
        """The fault injected into the bay's blade, its health and whether it is fenced;
        None when the bay holds no blade."""

    def prune_consumed(self) -> int:
        """Delete simulated hardware events every monitor has already consumed; how many."""


@runtime_checkable
class DomainMaintenanceDriver(Protocol):
    """What domain maintenance needs of the hardware beyond ``Driver`` (issue 24): a
    driver offers all of it or none; the core tells a driver without it apart
    (``driver-cannot``) instead of pretending. Components are named ``<enclosure>/<part>``
    (``enc-a1/oa``, ``enc-a1/ic1``)."""

    def firmware(self, domain: str, enclosures: list[str]) -> dict[str, str]:
        """The firmware version each component of these enclosures runs, read now."""

    def stage_firmware(self, domain: str, enclosure: str, version: str) -> dict[str, str]:
        """Upgrade one enclosure's components to ``version`` (those already on it are left
        alone, so a repeated stage is harmless) and return every component's version read
        back. DriverError when a component refuses or fails; what it reached stays."""

    def ports(self, domain: str, enclosures: list[str]) -> list[PortStatus]:
        """The uplink ports of these enclosures' interconnects, read now."""

    def export_config(self, domain: str) -> dict[str, Any]:
        """The domain's configuration as the hardware saves it (no secrets)."""

    def import_config(self, domain: str, payload: dict[str, Any]) -> str:
        """Restore an ``export_config`` payload; returns what was done."""


@runtime_checkable
class SimulatedParts(Protocol):
    """A simulator's faults of components and uplink ports (beside SimulatedHardware)."""

    def part_fault(self, part: str) -> str | None:
        """The fault injected into ``part`` (one of PART_FAULTS), None when it has none."""

    def fail_part(self, part: str, kind: str) -> str: ...

    def heal_part(self, part: str) -> None: ...
