"""Restoring a domain in maintenance from one of its configuration backups: a plan with
the diff first; the domain is backed up as it is before the restore; the backup is pinned
by its hash, so what runs is what the plan showed."""
from __future__ import annotations

import time

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops.backup import backup_step, find
from tui.core.ops.maintenance import domain_free, held, push_config
from tui.core.ops.staging import busy_bay
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.model.driver import DomainMaintenanceDriver
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import DomainRestoreParams
from tui.model.plan import Diff, Plan
from tui.model.upkeep import DomainBackup


def _backup_of(ctx: OpContext, domain: str, backup_id: int) -> DomainBackup:
    backup = find(ctx, domain, backup_id)
    if backup is None:
        raise BadInput(f"domain {domain} has no backup {backup_id}, in the store or an archive "
                       f"(bayops domain backups {domain} [--archived])", code="unknown-backup")
    return backup


def plan_restore(ctx: OpContext, domain: str, backup_id: int, force: bool = False) -> Plan:
    group = ctx.domain_group(domain)
    backup = _backup_of(ctx, domain, backup_id)
    ctx.require(group, "config-restore")
    held(ctx, domain, force, edit=True)
    domain_free(ctx, domain)
    busy_bay(ctx, domain)
    current = ctx.domain(domain).config
    changes = backup.config.changes(current)
    return Plan("domain-restore", f"Restore {domain} from backup {backup_id}",
                f"restore {domain} to backup {backup_id} of "
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(backup.taken))} "
                f"by {backup.operator} ({backup.reason})",
                (f"back up {domain} as it is now", f"restore backup {backup_id} to {domain}, read back"),
                DomainRestoreParams(group=group, domain=domain, backup=backup_id, hash=backup.hash),
                locks=(f"domain:{domain}",), target=domain,
                reason="in maintenance; complete then takes the restored configuration to the group",
                diff=Diff("What the restore changes", changes, "(the backup is what runs now)"),
                danger=True, confirm_label="Restore")


def run_restore(ctx: OpContext, job: JobContext, p: DomainRestoreParams) -> str:
    backup = find(ctx, p.domain, p.backup)
    if backup is None or backup.hash != p.hash:
        raise Refused(f"backup {p.backup} is gone or changed since the plan", code="plan-changed")
    backup_step(ctx, job, p.domain, f"before restoring backup {p.backup}")

    def restore() -> str:
        driver = ctx.driver
        done = [driver.import_config(p.domain, backup.payload)] \
            if backup.payload and isinstance(driver, DomainMaintenanceDriver) else []
        done.append(push_config(ctx, p.domain, backup.config))
        return "; ".join(done)
    try:
        detail = job.step(StepKey.restore_backup(p.backup, p.domain), restore)
    except StepFailed as exc:
        raise OperationFailed(f"restore of {p.domain} failed: {exc.reason}; it stays in "
                              "maintenance (the backup taken first is in bayops domain backups)") from None
    ctx.event("warning", f"domain:{p.domain}", "domain.restored",
              f"{p.domain} restored from backup {p.backup} (in maintenance)", job.job_id,
              domain=p.domain, backup=p.backup, hash=p.hash)
    return detail


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    # a backup first, then a hash-pinned restore: both safe to run again
    JobKind(DomainRestoreParams, run_restore, resumable=True),
)
