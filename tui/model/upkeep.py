"""What domain maintenance reads and keeps beyond the configuration (issue 24): the
firmware of each component, configuration backups, uplink ports."""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.model.entities import DomainConfig, GroupFirmware


@dataclass(frozen=True)
class DomainBackup:
    """A saved configuration of one domain: ours (``config``) and the hardware's own
    export (``payload``, opaque), with a SHA-256 over both. Never holds a secret."""

    id: int
    domain: str
    taken: float
    operator: str
    reason: str
    hash: str
    config: DomainConfig
    payload: dict[str, Any] = field(default_factory=dict)
    job: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "domain": self.domain, "taken": self.taken,
                "operator": self.operator, "reason": self.reason, "hash": self.hash,
                "job": self.job, "config": self.config.to_dict()}


@dataclass(frozen=True)
class FirmwareState:
    """One domain's firmware against its group's baseline: per component, as last read."""

    group: str
    domain: str
    baseline: str
    components: dict[str, str]  # component ("enc-a1/oa", "enc-a1/ic1") -> version
    read: bool  # False: never read from the hardware; ``components`` is the configured version

    @property
    def differing(self) -> tuple[str, ...]:
        return tuple(c for c, v in sorted(self.components.items()) if v != self.baseline)

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "domain": self.domain, "baseline": self.baseline,
                "components": dict(sorted(self.components.items())), "read": self.read,
                "compliant": not self.differing, "differing": list(self.differing)}


def off_baseline(baseline: str, versions: Iterable[str]) -> bool:
    """A domain whose components (as read, else as configured) run other than ``baseline``."""
    return any(v != baseline for v in versions)


def group_firmware(baseline: str, domains: Iterable[Iterable[str]]) -> GroupFirmware:
    """``domains``: for each domain of the group, the versions its components run."""
    off = [off_baseline(baseline, versions) for versions in domains]
    return GroupFirmware(baseline, len(off), off.count(False))


@dataclass(frozen=True)
class PortStatus:
    """One uplink port of a domain as its interconnect reports it."""

    name: str  # "enc-a1/ic1:X1"
    link: str  # up, down
    speed_gbps: float
    networks: tuple[str, ...]
    rx_errors: int
    tx_errors: int

    def line(self, rate: float | None = None) -> str:
        """``rate``: errors per second since the previous read (None: the first read)."""
        speed = f"{self.speed_gbps:g} Gb/s" if self.link == "up" else "-"
        per_second = "-" if rate is None else f"{rate:.1f}"
        return (f"{self.name:16} {self.link.upper():4} {speed:9} errors rx {self.rx_errors} "
                f"tx {self.tx_errors} ({per_second}/s)  carries {', '.join(self.networks) or '-'}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "link": self.link, "speed_gbps": self.speed_gbps,
                "networks": list(self.networks), "rx_errors": self.rx_errors,
                "tx_errors": self.tx_errors}


@dataclass
class ErrorRates:
    """Each port's error counters' rate between two reads (errors per second), for a view
    that reads the ports again and again (``bayops ports --watch``, the dashboard's)."""

    last: dict[str, tuple[float, int]] = field(default_factory=dict)  # name: (when, errors)

    def update(self, ports: Iterable[PortStatus], now: float) -> dict[str, float]:
        """The rate of each port read before (``now``: a monotonic clock's seconds)."""
        counts = {p.name: p.rx_errors + p.tx_errors for p in ports}
        rates = {name: (count - self.last[name][1]) / (now - self.last[name][0])
                 for name, count in counts.items()
                 if name in self.last and now > self.last[name][0]}
        self.last = {name: (now, count) for name, count in counts.items()}
        return rates


def file_reference(value: str) -> str:
    """A ``domain set`` value as the face's user means it: ``@FILE`` (storage credentials)
    made absolute where that user is, ``~`` expanded (no shell does it after ``@``); the
    core keeps only that path. Any other value as it is."""
    if value.startswith("@") and len(value) > 1:
        return "@" + os.path.abspath(os.path.expanduser(value[1:]))
    return value
