"""Plain data the core hands to the CLI and the dashboard. No behaviour, no I/O."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tui.model.plan import Change

if TYPE_CHECKING:
    from tui.model.params import JobParams

POLICY_MODES = ("manual", "alert", "auto")
# The serial of a server that exposes no identity at all (no serial, UUID, chassis serial
# or BMC identity): two such servers are never taken for the same one.
IDENTITY_UNKNOWN = "identity unknown"
UNKNOWN_GENERATIONS = ("", "unknown", None)  # generation not compared
# The states an operator may name to force a profile onto a bay anyway (flagged and
# drained never: the store refuses those too).
FORCEABLE = ("critical", "unknown")


@dataclass(frozen=True)
class ServerInfo:
    """What discovery finds in a bay."""

    model: str
    generation: str
    serial: str
    power: str = "off"
    health: str = "ok"


@dataclass(frozen=True)
class Connection:
    kind: str  # "eth" or "fc"
    index: int
    address: str  # MAC for eth, WWPN for fc
    target: str  # network name (eth) or fabric name (fc)


@dataclass(frozen=True)
class Profile:
    name: str
    group: str
    serial: str
    boot_mode: str
    san_target: str | None
    san_lun: int | None
    connections: tuple[Connection, ...]
    bay: str | None = None
    job_id: int | None = None
    home: str | None = None  # the bay a failover took it from, until it fails back
    borrowed: str | None = None  # the spare that failover (or evacuation) took for it

    @property
    def networks(self) -> list[str]:
        return sorted({c.target for c in self.connections if c.kind == "eth"})

    @property
    def fabrics(self) -> list[str]:
        return sorted({c.target for c in self.connections if c.kind == "fc"})

    def to_dict(self) -> dict[str, Any]:
        data = dict(vars(self))  # flat fields: no deep copy (16k rows go out as JSON)
        data["connections"] = [vars(c) for c in self.connections]
        data["networks"] = self.networks
        data["fabrics"] = self.fabrics
        return data


@dataclass(frozen=True, slots=True)  # no __dict__: a 64,000-bay view holds one per bay
class Bay:
    id: str  # "<enclosure>/<n>"
    enclosure: str
    number: int
    domain: str
    group: str
    model: str | None  # None: the bay is empty
    generation: str | None
    serial: str | None
    power: str
    health: str
    spare: bool
    profile: str | None
    boot_mode: str | None
    job_id: int | None  # the job holding a lock on this bay
    maintenance: bool
    acked_by: str | None = None  # who acknowledged its critical state (cleared when healthy)
    acked_at: float | None = None
    drained: bool = False  # its enclosure is drained (evacuated): no target, no spare
    flag: str | None = None  # why it is held out of use (a server changed under a profile)
    note: str | None = None  # the latest operator note on the bay (schema 13), who and when
    note_by: str | None = None
    note_at: float | None = None
    # the job holding the bay's domain (a complete propagating, a firmware upgrade, a
    # restore, a domain edit): its interconnects may restart, so the bay takes no profile
    domain_job: int | None = None

    @property
    def empty(self) -> bool:
        return self.model is None

    def unready_reason(self) -> str | None:
        """Why this bay cannot take a profile now, None when it can: the one rule that the
        failover's spare choice, evacuation, coverage and the dashboard's spare counts share."""
        if self.flag is not None:
            return f"flagged: {self.flag}"
        if self.drained:
            return f"enclosure {self.enclosure} drained"
        if self.job_id is not None:
            return f"held by job {self.job_id}"
        if self.maintenance:
            return "in maintenance"
        if self.domain_job is not None:
            return f"domain {self.domain} held by job {self.domain_job}"
        if self.health != "ok":
            return f"health {self.health}"
        if self.power != "off":
            return f"power {self.power}"
        if self.profile is not None:
            return f"holds profile {self.profile}"
        return None

    def to_dict(self) -> dict[str, Any]:
        # every field is flat: no deep copy (16k rows go out as JSON)
        return {name: getattr(self, name) for name in BAY_FIELDS}


BAY_FIELDS = tuple(f.name for f in fields(Bay))


@dataclass(frozen=True)
class DomainConfig:
    """The part of a domain that maintenance edits and the group baseline pins."""

    networks: dict[str, int] = field(default_factory=dict)  # name -> VLAN id
    fabrics: tuple[str, ...] = ()
    firmware: str = ""
    users: dict[str, str] = field(default_factory=dict)  # local user -> role
    # fabric -> its settings: type, speed, targets, and credentials as a reference to a
    # file (@/path) on the host that pushes it, never the secret itself
    storage: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "networks": dict(sorted(self.networks.items())),
            "fabrics": sorted(self.fabrics),
            "firmware": self.firmware,
            "users": dict(sorted(self.users.items())),
        }
        if self.storage:  # absent when unset, so configurations from before it read the same
            out["storage"] = {f: dict(sorted(s.items())) for f, s in sorted(self.storage.items())}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainConfig:
        return cls(
            networks={str(k): int(v) for k, v in data.get("networks", {}).items()},
            fabrics=tuple(sorted(data.get("fabrics", ()))),
            firmware=str(data.get("firmware", "")),
            users={str(k): str(v) for k, v in data.get("users", {}).items()},
            storage={str(f): {str(k): str(v) for k, v in settings.items()}
                     for f, settings in data.get("storage", {}).items()},
        )

    def changes(self, baseline: DomainConfig) -> tuple[Change, ...]:
        """What differs from ``baseline``: networks, fabrics, firmware, users, storage."""
        out = _mapping_changes("network", baseline.networks, self.networks)
        out += [Change("+" if name in self.fabrics else "-", "fabric", name, None, None)
                for name in sorted(set(self.fabrics) ^ set(baseline.fabrics))]
        if self.firmware != baseline.firmware:
            out.append(Change("~", "firmware", "", baseline.firmware, self.firmware))
        out += _mapping_changes("user", baseline.users, self.users)
        return tuple(out + _mapping_changes("storage", _flat(baseline.storage), _flat(self.storage)))

    def diff(self, baseline: DomainConfig) -> list[str]:
        """Lines like ``+ network web vlan 110``, ``- fabric san-c``, ``~ firmware 4.6 -> 4.7``."""
        return [c.text for c in self.changes(baseline)]


def _flat(storage: dict[str, dict[str, str]]) -> dict[str, str]:
    return {f"{fabric}.{key}": value for fabric, settings in storage.items()
            for key, value in settings.items()}


def _mapping_changes(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before != after:
            op = "+" if before is None else "-" if after is None else "~"
            out.append(Change(op, kind, name, None if before is None else str(before),
                              None if after is None else str(after)))
    return out


@dataclass(frozen=True)
class Maintenance:
    domain: str
    group: str
    owner: str
    reason: str
    started: float
    expires: float

    def expired(self, now: float) -> bool:
        return now >= self.expires

    def to_dict(self, now: float) -> dict[str, Any]:
        data = asdict(self)
        data["expired"] = self.expired(now)
        data["seconds_left"] = max(0, int(self.expires - now))
        return data


@dataclass(frozen=True)
class Step:
    seq: int
    name: str  # the words shown
    state: str  # running, done, failed, interrupted (its process ended), skipped (never ran)
    detail: str
    started: float
    finished: float | None
    key: str = ""  # what a resumed job matches it by (tui/core/steps.py)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    # running, interrupted, done, failed. "interrupted": running in the store but no live
    # runner holds it (its process died); derived when read, so the store's states and the
    # one-runner claim stay as they are, and a resume makes it running again.
    state: str
    operator: str
    summary: str
    # The params as the store holds them (JSON, without the kind), compared and hashed as
    # that text: ``params`` decodes them on first use, so loading a fleet's jobs (first
    # paint) makes none of the params' ~30 dataclasses.
    params_json: str
    created: float
    finished: float | None
    pid: int | None
    steps: tuple[Step, ...] = ()

    @classmethod
    def made(cls, params: JobParams, **others: Any) -> Job:
        """A job from its params object (written as the store writes them) and its other
        fields by name; its ``params`` is that object."""
        job = cls(params_json=json.dumps(params.to_json()), **others)
        job.__dict__["params"] = params  # the cached_property's slot: no decode of its own text
        return job

    @cached_property
    def params(self) -> JobParams:
        """The typed params, decoded once (cached_property writes the instance's __dict__
        directly, which a frozen dataclass allows; equality and hash stay the text's)."""
        from tui.model.params import decode_params

        return decode_params(self.kind, json.loads(self.params_json))

    @property
    def group(self) -> str:
        """The group the job acts in, read from the text: running-job counts at first
        paint need no decoded params."""
        return str(json.loads(self.params_json).get("group", ""))

    @property
    def unfinished(self) -> bool:
        """Running, or interrupted (a resume finishes it): it holds its locks meanwhile."""
        return self.state in ("running", "interrupted")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        data["params"] = json.loads(data.pop("params_json"))
        return data


@dataclass(frozen=True)
class Event:
    seq: int
    ts: float
    severity: str
    source: str
    kind: str
    message: str
    operator: str
    job_id: int | None = None
    # structured fields (bay, old, new, ...); seq identifies the event, so not compared
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Policy:
    mode: str  # manual, alert, auto
    window: str  # "" = always; e.g. "sat,sun 00:00-24:00"


@dataclass(frozen=True)
class EnclosureSummary:
    name: str
    model: str
    bays: int
    servers: int
    critical: int
    warning: int


@dataclass(frozen=True)
class DomainSummary:
    name: str
    group: str
    enclosures: tuple[EnclosureSummary, ...]
    bays: int
    critical: int
    warning: int
    spares: int
    maintenance: Maintenance | None
    drifted: bool  # configuration differs from the group baseline
    firmware_off: bool = False  # a component was read running other than the baseline
    ports_down: int = 0  # uplink ports seen down


@dataclass(frozen=True)
class GroupFirmware:
    """A group's firmware compliance in one line, the same in `bayops firmware compliance`
    and the dashboard's groups pane: ``fw 2/3 at 4.62`` (domains on the baseline / all)."""

    baseline: str
    domains: int
    at_baseline: int

    @property
    def ok(self) -> bool:
        return self.at_baseline == self.domains

    @property
    def text(self) -> str:
        return f"fw {self.at_baseline}/{self.domains} at {self.baseline}"


@dataclass(frozen=True)
class GroupSummary:
    name: str
    policy: Policy
    domains: tuple[DomainSummary, ...]
    bays: int
    servers: int
    profiles: int
    critical: int
    warning: int
    spares_ready: int  # spares that a failover could use now
    spares: int
    running_jobs: int
    baseline: DomainConfig
    cover: str = ""  # the coverage badge: "covers 1 enc" / "no cover for <model>"
    cover_ok: bool = True
    firmware: GroupFirmware | None = None  # its domains against the firmware baseline


@dataclass(frozen=True)
class GroupRecord:
    name: str
    baseline: DomainConfig
    policy: Policy


@dataclass(frozen=True)
class DomainRecord:
    name: str
    group: str
    config: DomainConfig


@dataclass(frozen=True)
class EnclosureRecord:
    name: str
    domain: str
    model: str
    bay_count: int
    drained_job: int | None = None  # the evacuation (or restore) job that drained it


@dataclass(frozen=True)
class ArchiveRecord:
    """One row of the archive register: a file that took old events and finished jobs
    out of the store, and the hash its chain ends with (tui/core/archive.py)."""

    id: int
    file: str
    first_seq: int | None  # the events it holds, by seq (None: no event)
    last_seq: int | None
    first_job: int | None  # the finished jobs it holds, by id (None: no job)
    last_job: int | None
    events: int
    jobs: int
    records: int
    prev_hash: str  # the hash the previous archive ended with (or the genesis value)
    last_hash: str
    sha256: str  # of the file's bytes
    operator: str
    created: float
    job_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
