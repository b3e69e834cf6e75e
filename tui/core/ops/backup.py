"""Configuration backups of a domain: taken on demand, before maintenance complete and
cancel, and before a propagation touches each other domain (restored in maintenance by
``ops/config_restore.py``).

A backup holds the domain's configuration as bayops knows it and, when the driver offers
it (``DomainMaintenanceDriver.export_config``), the hardware's own export; a SHA-256 over
both names it in the list and pins a restore to exactly what its plan showed. The store
keeps the newest ``BACKUPS_KEPT`` per domain; `bayops events archive` moves older ones to
its hash-chained file, where `bayops domain backups --archived` lists them and a restore
finds them (checked against both hashes). Each backup is also its ``domain.backup`` event's data.
"""
from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui.core import archive
from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.runner import JobKind
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


def backups(ctx: OpContext, domain: str, archived: bool = False) -> list[DomainBackup]:
    ctx.require(ctx.domain_group(domain), "view")
    name = ctx.domain(domain).name
    return _archived(ctx, name) if archived else ctx.store.backups(name)


# -- in the archive files (``bayops events archive`` moves those past retention there) ------
def records(ctx: OpContext, ids: tuple[int, ...]) -> Iterator[dict[str, Any]]:
    """Archive records of the backups ``ids`` (one gone meanwhile is left out: the
    archive's count of what it wrote tells)."""
    for backup_id in ids:
        b = ctx.store.backup(backup_id)
        if b is not None:
            yield {"type": "backup", "id": b.id, "domain": b.domain, "taken": b.taken,
                   "operator": b.operator, "reason": b.reason, "digest": b.hash, "job": b.job,
                   "config": b.config.to_dict(), "payload": b.payload}


def _archived(ctx: OpContext, domain: str) -> list[DomainBackup]:
    """``domain``'s backups in the recorded archives, newest first: those whose chain hash
    and own SHA-256 both match what they hold (`bayops events verify` names the others);
    a missing or unreadable file is skipped."""
    found = []
    for a in ctx.store.archives():
        try:
            for r in archive.read_records(Path(a.file)):
                if r.get("type") == "backup" and r.get("domain") == domain \
                        and r.get("hash") == archive.record_hash(r):
                    found.append(DomainBackup(
                        r["id"], domain, r["taken"], r["operator"], r["reason"], r["digest"],
                        DomainConfig.from_dict(r["config"]), r["payload"], r["job"]))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError):
            continue
    return sorted((b for b in found if digest(b.config, b.payload) == b.hash),
                  key=lambda b: b.id, reverse=True)


def find(ctx: OpContext, domain: str, backup_id: int) -> DomainBackup | None:
    """Backup ``backup_id`` of ``domain``: in the store, else in an archive file."""
    backup = ctx.store.backup(backup_id)
    if backup is not None:
        return backup if backup.domain == domain else None
    return next((b for b in _archived(ctx, domain) if b.id == backup_id), None)


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(DomainBackupParams, run_backup, resumable=False),
)
