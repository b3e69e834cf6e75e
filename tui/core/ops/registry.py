"""The one job registry: {kind: (params dataclass, runner, resumable)}."""
from __future__ import annotations

from tui.core.ops import (
    archive,
    backup,
    config_restore,
    domain,
    enclosures,
    evacuate,
    failback,
    failover,
    firmware,
    maintenance,
    move,
    policy,
    pools,
    profiles,
    rediscover,
    spares,
)
from tui.core.runner import JobKind
from tui.model import params as p

JOB_KINDS: dict[str, JobKind] = {k.name: k for k in (
    JobKind(p.FailoverParams, failover.run, resumable=True, started=failover.started),
    JobKind(p.MoveParams, move.run, resumable=True, started=move.started),
    JobKind(p.FailbackParams, failback.run, resumable=True, started=failback.started),
    JobKind(p.EvacuateParams, evacuate.run, resumable=True, started=evacuate.started),
    JobKind(p.RestoreParams, evacuate.run, resumable=True, started=evacuate.started),
    JobKind(p.MaintenanceCompleteParams, maintenance.run_complete, resumable=True,
            started=maintenance.started_complete),
    JobKind(p.MaintenanceCancelParams, maintenance.run_cancel, resumable=True,
            started=maintenance.started_cancel),
    JobKind(p.EnclosureAddParams, enclosures.run, resumable=True),
    # idempotent stages (firmware), a backup first then a hash-pinned restore
    JobKind(p.FirmwareUpgradeParams, firmware.run_upgrade, resumable=True),
    JobKind(p.DomainRestoreParams, config_restore.run_restore, resumable=True),
    JobKind(p.DomainBackupParams, backup.run_backup, resumable=False),
    # one hardware step: interrupted, it is reported, not repeated
    JobKind(p.DomainSetParams, domain.run_set, resumable=False),
    # writes a file outside the store, then deletes in one transaction: an interrupted
    # archive is reported, and its unrecorded file replaced by the next (ops/archive.py)
    JobKind(p.ArchiveParams, archive.run, resumable=False),
    # store-only changes: the job, its journal and the change commit together
    JobKind(p.SparesParams, spares.run, resumable=False, atomic=True),
    JobKind(p.ClearFlagParams, rediscover.run_clear, resumable=False, atomic=True),
    JobKind(p.MaintenanceStartParams, maintenance.run_start, resumable=False, atomic=True),
    JobKind(p.MaintenanceRenewParams, maintenance.run_renew, resumable=False, atomic=True),
    JobKind(p.PolicyParams, policy.run, resumable=False, atomic=True),
    JobKind(p.ProfileCreateParams, profiles.run_create, resumable=False, atomic=True),
    JobKind(p.ProfileDeleteParams, profiles.run_delete, resumable=False, atomic=True),
    JobKind(p.PoolsParams, pools.run, resumable=False, atomic=True),
)}
