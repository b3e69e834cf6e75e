"""Jobs pane: running jobs with their steps as they are journaled, then recent ones."""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from tui.app import format as fmt
from tui.app.linelist import LineList, Parts
from tui.model.entities import Job, Step


@dataclass(frozen=True)
class JobRow:
    job: Job
    step: Step | None = None


class JobsList(LineList):
    def __init__(self, *, id: str | None = "jobs", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)

    def item_key(self, item: JobRow) -> Hashable:
        return (item.job.id, item.step.seq if item.step else 0)

    def item_signature(self, item: JobRow) -> Hashable:
        # the job row shows its progress: it changes with the job's steps
        return (item.job.state, item.job.summary, item.step,
                fmt.job_progress(item.job) if item.step is None else
                fmt.retried(item.step, item.job))

    def item_parts(self, item: JobRow, width: int) -> Parts:
        if item.step is not None:
            return fmt.step_line(item.step, item.job)
        parts = fmt.job_line(item.job)
        if item.job.state == "running":  # an interrupted job makes no progress
            parts.insert(2, (f"{fmt.job_progress(item.job)} ", "job"))
        return parts

    def set_jobs(self, jobs: list[Job]) -> None:
        """Newest first; a cursor on the newest follows a new job to the top (one moved
        down stays on its job)."""
        newest = self.cursor == 0
        running = [j for j in jobs if j.unfinished]
        rest = [j for j in jobs if not j.unfinished]
        rows: list[JobRow] = []
        for job in running:
            rows.append(JobRow(job))
            rows.extend(JobRow(job, s) for s in job.steps)
        rows.extend(JobRow(j) for j in rest)
        self.set_items(rows)
        if newest and self.cursor != 0:
            self.move_cursor(0)

    @property
    def job(self) -> Job | None:
        row = self.current
        return row.job if row is not None else None
