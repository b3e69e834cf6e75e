"""Configuration backups of a domain: taken on demand, before maintenance complete and
cancel, and before a propagation touches each other domain (restored in maintenance by
``ops/config_restore.py``).

A backup holds the domain's configuration as bayops knows it and, when the driver offers
it (``DomainMaintenanceDriver.export_config``), the hardware's own export; a SHA-256 over
both names it in the list and pins a restore to exactly what its plan showed. The store
keeps the newest ``BACKUPS_KEPT`` per domain; each backup is also its ``domain.backup``
event's data, which `bayops events archive` keeps in the hash-chained archive.
"""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.steps import StepKey
from tui.core.validate import check_text
from tui.model.driver import DomainMaintenanceDriver
from tui.model.entities import DomainConfig
from tui.model.params import DomainBackupParams
from tui.model.plan import Plan
from tui.model.upkeep import DomainBackup


def digest(config: DomainConfig, payload: dict[str, Any]) -> str:
    text = json.dumps({"config": config.to_dict(), "payload": payload}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def take(ctx: OpContext, domain: str, reason: str, job_id: int | None) -> DomainBackup:
    """Save ``domain``'s configuration now (reads the hardware's export: run it in a step)."""
    config = ctx.domain(domain).config
    driver = ctx.driver
    payload = driver.export_config(domain) if isinstance(driver, DomainMaintenanceDriver) else {}
    backup = DomainBackup(0, domain, time.time(), ctx.operator, reason, digest(config, payload),
                          config, payload, job_id)
    with ctx.store.write():
        new = ctx.store.add_backup(backup)
        # The whole backup rides in the event's data, so the event archive keeps it after
        # the store's retention lets it go (nothing in it is a secret: see ops/storage.py).
        ctx.event("info", f"domain:{domain}", "domain.backup",
                  f"{domain}: configuration backup {new} taken ({reason})", job_id,
                  domain=domain, backup=new, hash=backup.hash, reason=reason,
                  config=config.to_dict(), payload=payload)
    return ctx.store.backup(new) or backup


def backup_step(ctx: OpContext, job: JobContext, domain: str, reason: str) -> None:
    """A journaled step that backs ``domain`` up before a job changes it."""
    job.step(StepKey.back_up(domain), lambda: _saved(take(ctx, domain, reason, job.job_id)))


def _saved(backup: DomainBackup) -> str:
    return f"backup {backup.id} ({backup.hash[:12]})"


# -- backup on demand --------------------------------------------------------------------------
def plan_backup(ctx: OpContext, domain: str, reason: str = "") -> Plan:
    group = ctx.domain_group(domain)
    ctx.require(group, "backup")
    reason = reason.strip() or "on demand"
    check_text(reason, "--reason")
    return Plan("domain-backup", f"Back up {domain}", f"save the configuration of {domain}",
                (f"read {domain}'s configuration and its hardware export, keep it with a hash",),
                DomainBackupParams(group=group, domain=domain, reason=reason), target=domain,
                reason=reason, confirm_label="Back up")


def run_backup(ctx: OpContext, job: JobContext, p: DomainBackupParams) -> str:
    return job.step(StepKey.back_up(p.domain), lambda: _saved(take(ctx, p.domain, p.reason, job.job_id)))


def backups(ctx: OpContext, domain: str) -> list[DomainBackup]:
    ctx.require(ctx.domain_group(domain), "view")
    return ctx.store.backups(ctx.domain(domain).name)
