"""Typed parameters of every job kind, stored as JSON with the job.

A job's params are what its runner needs to carry it out (and to resume it after a
crash). Each class registers under its ``kind``, the job kind's name in the store; the
ops module that runs it pairs it with its runner (its ``JOB_KINDS``, ``tui.core.ops.registry``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

UNKNOWN = "?"  # UnknownParams' kind: registered under no name

# kind -> its params class, filled as each class is defined (JobParams.__init_subclass__).
PARAMS_BY_KIND: dict[str, type[JobParams]] = {}


@dataclass(frozen=True)
class JobParams:
    kind: ClassVar[str] = ""
    journaled: ClassVar[bool] = True  # False: carried out without a job (simulator actions)
    group: str  # the group the job acts in ("" for fleet-wide changes such as pools)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind not in ("", UNKNOWN):
            PARAMS_BY_KIND[cls.kind] = cls

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobParams:
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in data.items() if k in names}
        return cls(**values)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class FailoverParams(JobParams):
    kind: ClassVar[str] = "failover"
    source: str
    profile: str
    target: str | None  # None once every candidate failed
    reason: str  # why the current target was chosen
    force: bool = False
    tried: tuple[str, ...] = ()  # targets that failed, in order
    home: str = ""  # the bay the profile belongs on: failback returns it there
    forced: str | None = None  # the unfit state of the --to target the operator named


@dataclass(frozen=True)
class MoveParams(JobParams):
    kind: ClassVar[str] = "move"
    profile: str
    source: str | None
    target: str
    from_group: str
    forced: str | None = None  # the unfit state (critical, unknown) the operator named


@dataclass(frozen=True)
class SparesParams(JobParams):
    kind: ClassVar[str] = "spares"
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class MaintenanceStartParams(JobParams):
    kind: ClassVar[str] = "maintenance-start"
    domain: str
    reason: str
    hours: float


@dataclass(frozen=True)
class MaintenanceRenewParams(JobParams):
    kind: ClassVar[str] = "maintenance-renew"
    domain: str
    owner: str
    hours: float


@dataclass(frozen=True)
class DomainSetParams(JobParams):
    kind: ClassVar[str] = "domain-set"
    domain: str
    key: str
    value: str


@dataclass(frozen=True)
class MaintenanceCompleteParams(JobParams):
    kind: ClassVar[str] = "maintenance-complete"
    domain: str
    owner: str
    others: tuple[str, ...]  # the domains that receive the change
    diff: tuple[str, ...]  # the change, as confirmed
    firmware: str = ""  # the new baseline firmware, staged per enclosure on every domain


@dataclass(frozen=True)
class MaintenanceCancelParams(JobParams):
    kind: ClassVar[str] = "maintenance-cancel"
    domain: str
    owner: str
    diff: tuple[str, ...]  # what is reverted, as confirmed
    firmware: str = ""  # the baseline firmware, staged back where the domain runs another


@dataclass(frozen=True)
class EnclosureAddParams(JobParams):
    kind: ClassVar[str] = "enclosure-add"
    enclosure: str
    domain: str
    model: str
    bays: int
    new_domain: bool


@dataclass(frozen=True)
class PolicyParams(JobParams):
    kind: ClassVar[str] = "policy"
    mode: str
    window: str


@dataclass(frozen=True)
class ProfileCreateParams(JobParams):
    kind: ClassVar[str] = "profile-create"
    profile: str
    networks: tuple[str, ...]
    fabrics: tuple[str, ...]
    boot: str
    lun: int


@dataclass(frozen=True)
class ProfileDeleteParams(JobParams):
    kind: ClassVar[str] = "profile-delete"
    profile: str


@dataclass(frozen=True)
class PoolsParams(JobParams):
    kind: ClassVar[str] = "pools"
    pool: str  # mac, wwpn, serial
    address: str
    include: bool


@dataclass(frozen=True)
class ArchiveParams(JobParams):
    """Move events and finished jobs older than ``before`` to an archive file, then out of
    the store. Ranges are inclusive; (0, 0) when there is nothing of that kind."""

    kind: ClassVar[str] = "events-archive"
    before: float  # epoch seconds
    file: str  # absolute path of the archive file
    first_seq: int
    last_seq: int
    first_job: int
    last_job: int
    events: int
    jobs: int
    prev: str  # the hash the chain continues from
    backups: tuple[int, ...] = ()  # domain backups past their retention, archived after the jobs


@dataclass(frozen=True)
class SimFaultParams(JobParams):
    """The simulated hardware changes, as when someone pulls a blade: audited by its event,
    not a job of the fleet's."""

    kind: ClassVar[str] = "sim-fault"
    journaled: ClassVar[bool] = False
    bay: str
    fault: str | None  # None heals


@dataclass(frozen=True)
class FailbackParams(JobParams):
    kind: ClassVar[str] = "failback"
    profile: str
    source: str | None  # where it runs now (None: unassigned)
    home: str
    pool: bool  # the source goes back into the spare pool


def _moves(data: dict[str, Any]) -> dict[str, Any]:
    """Nested lists of a JSON job back into tuples (params compare equal after a resume)."""
    return {**data, "moves": [tuple(m) for m in data.get("moves", ())]}


@dataclass(frozen=True)
class EvacuateParams(JobParams):
    """Every profile of an enclosure to another bay, or (restore) back home."""

    kind: ClassVar[str] = "evacuate"
    enclosure: str
    moves: tuple[tuple[str, str | None, str], ...]  # (profile, from, to), in order
    parallel: int
    stop_on_failure: bool
    restore: bool = False  # back to the homes; the enclosure is undrained at the end
    pool: tuple[str, ...] = ()  # restore: bays that go back into the spare pool
    left: tuple[str, ...] = ()  # profiles the (forced) plan leaves: the enclosure stays drained

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobParams:
        return super().from_json(_moves(data))


@dataclass(frozen=True)
class RestoreParams(EvacuateParams):
    """An evacuated enclosure's profiles back home: its own kind in `bayops jobs`."""

    kind: ClassVar[str] = "restore"
    restore: bool = True


@dataclass(frozen=True)
class ClearFlagParams(JobParams):
    """An operator accepts the server now in a flagged bay: it may be used again."""

    kind: ClassVar[str] = "clear-flag"
    bay: str
    flag: str  # what was flagged, as confirmed


@dataclass(frozen=True)
class SimHardwareParams(JobParams):
    """A blade inserted, removed or swapped in the simulator; rediscovery finds it."""

    kind: ClassVar[str] = "sim-hardware"
    journaled: ClassVar[bool] = False
    bay: str
    action: str  # insert, remove, swap
    model: str  # the new blade's model ("" for remove)


@dataclass(frozen=True)
class SimPartParams(JobParams):
    """A simulated component or uplink port fails or recovers (like SimFaultParams: audited
    by its event, not a job)."""

    kind: ClassVar[str] = "sim-part"
    journaled: ClassVar[bool] = False
    domain: str
    part: str  # enc-a1/ic1 (a component) or enc-a1/ic1:X1 (an uplink port)
    fault: str | None  # firmware-refused, port-down; None heals


@dataclass(frozen=True)
class FirmwareUpgradeParams(JobParams):
    kind: ClassVar[str] = "firmware-upgrade"
    domain: str
    version: str
    enclosures: tuple[str, ...]  # staged in this order, one step each


@dataclass(frozen=True)
class DomainBackupParams(JobParams):
    kind: ClassVar[str] = "domain-backup"
    domain: str
    reason: str


@dataclass(frozen=True)
class DomainRestoreParams(JobParams):
    kind: ClassVar[str] = "domain-restore"
    domain: str
    backup: int
    hash: str  # of the backup as planned: restore exactly what was shown


@dataclass(frozen=True)
class UnknownParams(JobParams):
    """Params of a job kind this bayops does not know (written by a newer one)."""

    kind: ClassVar[str] = UNKNOWN
    data: tuple[tuple[str, Any], ...] = ()




def decode_params(kind: str, data: dict[str, Any]) -> JobParams:
    cls = PARAMS_BY_KIND.get(kind)
    if cls is None:
        return UnknownParams(group=str(data.get("group", "")), data=tuple(sorted(data.items())))
    try:
        return cls.from_json(data)
    except TypeError:  # written by an older bayops with fewer fields: show it as it is
        return UnknownParams(group=str(data.get("group", "")), data=tuple(sorted(data.items())))

