"""Retention: move old events and finished jobs (and the domain configuration backups past
their retention, ``BACKUPS_KEPT`` per domain) to an archive file, then out of the store.

A job kind, not ``atomic``: the file is written outside any transaction, so it cannot
commit with the deletion. Its steps: (1) write the file durably (tui/core/archive.py),
(2) in one store transaction record the archive, delete what it holds and write
``events.archived``, (3) with the simulator, prune the hardware events already consumed.
Not resumable: a crash leaves the store as it was (nothing is deleted before step 2
commits) and at most an unrecorded file, which the next archive of the same rows
recognises as a leftover and replaces; the interrupted job is reported failed.
"""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from tui.core import archive
from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.ops import backup
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.model.driver import SimulatedHardware
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import ArchiveParams
from tui.model.plan import Plan
from tui.model.text import quoted


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def plan(ctx: OpContext, before: float, to: str | None = None) -> Plan:
    ctx.require("*", "archive")
    if before > time.time():
        raise BadInput(f"{_when(before)} is in the future: only the past can be archived",
                       code="future-date")
    seqs = ctx.store.archivable_events(before)
    jobs = ctx.store.archivable_jobs(before)
    backups = ctx.store.archivable_backups()
    if not seqs[2] and not jobs[2] and not backups:
        raise Refused(f"nothing to archive: no event and no finished job before {_when(before)}, "
                      "no backup past its retention", code="nothing-to-archive")
    head = ctx.store.last_archive()
    prev = head.last_hash if head else archive.GENESIS
    folder = ctx.store.path.parent.absolute() / "archive"
    if to:
        path = _remote_target(folder, to) if ctx.serving else Path(to).expanduser().absolute()
        if not path.parent.is_dir() and path.parent not in (folder, folder.resolve()):
            raise BadInput(f"{path.parent} is not a folder", code="bad-path")
    else:
        name = f"events-{seqs[0]}-{seqs[1]}" if seqs[2] else f"jobs-{jobs[0]}-{jobs[1]}" \
            if jobs[2] else f"backups-{backups[0]}-{backups[-1]}"
        path = folder / f"{name}.jsonl.gz"
    warnings = []
    if ctx.store.archive_named(str(path)):
        raise Refused(f"{path} is a recorded archive already", code="file-exists",
                      hint="choose another --to")
    if path.exists() or path.is_symlink():
        if not archive.is_leftover(path, prev, seqs[0], jobs[0], backups[0] if backups else 0):
            raise Refused(f"{path} exists; an archive never overwrites a file", code="file-exists",
                          hint="choose another --to")
        warnings.append(f"{path.name} was written by an archive interrupted before it was "
                        "recorded; it is replaced (all it holds is still in the store)")
    what = (f"{_n(seqs[2], 'event')} (seq {seqs[0]}..{seqs[1]})" if seqs[2] else "no event") + \
        " and " + (f"{_n(jobs[2], 'finished job')} ({jobs[0]}..{jobs[1]})" if jobs[2] else "no job") + \
        (f" and {_n(len(backups), 'domain backup')} past retention" if backups else "")
    steps = [f"write {what} with their journals to {path}: gzip JSON lines, hash-chained; "
             "fsync the file and its folder",
             "in one transaction: record the archive, delete what it holds from the store, "
             "write the event events.archived"]
    if isinstance(ctx.driver, SimulatedHardware):
        steps.append("simulator: prune the hardware events every monitor has consumed")
    params = ArchiveParams(group="", before=before, file=str(path), first_seq=seqs[0],
                           last_seq=seqs[1], first_job=jobs[0], last_job=jobs[1], events=seqs[2],
                           jobs=jobs[2], prev=prev, backups=backups)
    return Plan("events-archive", "Archive the event log",
                f"archive {what} older than {_when(before)}", tuple(steps), params,
                locks=("archive:events",), target=str(path),
                reason="the file is durable before anything is deleted; running jobs stay; "
                       "`bayops events verify` checks the chain across archives",
                warnings=tuple(warnings), confirm_label="Archive")


def _remote_target(folder: Path, to: str) -> Path:
    """Where a remote caller's ``to`` writes: only under the service's archive folder
    (relative to it; an absolute path, ``..`` or a symlink may not lead out of it)."""
    path = (folder / to).resolve()
    if not path.is_relative_to(folder.resolve()) or path == folder.resolve():
        raise Refused(f"{quoted(to)}: a remote archive goes under {folder}, nowhere else",
                      code="outside-archive-folder", hint="give a file name, or none")
    return path


def run(ctx: OpContext, job: JobContext, p: ArchiveParams) -> str:
    path = Path(p.file)
    written: list[archive.Written] = []

    def write() -> str:
        leftover = path.exists() and ctx.store.archive_named(p.file) is None and \
            archive.is_leftover(path, p.prev, p.first_seq, p.first_job,
                                p.backups[0] if p.backups else 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        done = archive.write(path, archive.chain(archive.records(
            ctx.store, (p.first_seq, p.last_seq), (p.first_job, p.last_job),
            backup.records(ctx, p.backups)), p.prev), leftover)
        expected = p.events + p.jobs + len(p.backups)
        if done.records != expected:
            raise OperationFailed(f"wrote {done.records} records, expected {expected}; "
                                  f"{path.name} is not recorded and nothing was deleted")
        written.append(done)
        return f"wrote {done.records} records to {path} (last hash {done.last_hash}, sha256 {done.sha256})"

    def commit() -> str:
        done = written[0]
        if archive.file_sha256(path) != done.sha256:
            raise OperationFailed(f"{path} changed since it was written; nothing deleted")
        with ctx.store.write():
            record = ctx.store.record_archive(
                p, done.last_hash, done.sha256, ctx.operator, job.job_id,
                follows=None if p.prev == archive.GENESIS else p.prev)
            ctx.event("info", "archive", "events.archived",
                      f"archived {_n(p.events, 'event')} and {_n(p.jobs, 'job')} older than "
                      f"{_when(p.before)} to {path}", job.job_id,
                      file=p.file, archive=record.id, events=p.events, jobs=p.jobs,
                      first_seq=p.first_seq, last_seq=p.last_seq, first_job=p.first_job,
                      last_job=p.last_job, backups=len(p.backups), records=done.records,
                      last_hash=done.last_hash,
                      sha256=done.sha256)
        return f"recorded archive {record.id}; deleted {_n(p.events, 'event')} and {_n(p.jobs, 'job')}"

    job.step(StepKey.write_archive(path.name), write)
    job.step(StepKey.record_archive(), commit)
    driver = ctx.driver
    if isinstance(driver, SimulatedHardware):
        job.step(StepKey.prune_sim_events(),
                 lambda: f"pruned {driver.prune_consumed()} consumed hardware events")
    return f"archived {_n(p.events, 'event')} and {_n(p.jobs, 'job')} to {path}"


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    # writes a file outside the store, then deletes in one transaction: an interrupted
    # archive is reported, and its unrecorded file replaced by the next
    JobKind(ArchiveParams, run, resumable=False),
)
