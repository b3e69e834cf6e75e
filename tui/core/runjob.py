"""The job a run starts, found without the run's answer: the newest job's id asked just
before the run, then this operator's first job newer than it. A served client whose
answer was lost follows the job so (tui.client.remote), and the CLI says the steps of a
long run so while it runs (tui.cli.progress)."""
from __future__ import annotations

from collections.abc import Callable

from tui.model.entities import Job
from tui.model.errors import BayopsError


class RunJob:
    def __init__(self, jobs: Callable[[int], list[Job]], operator: str) -> None:
        """``jobs(n)``: the newest ``n`` jobs, newest first."""
        self._jobs = jobs
        self._operator = operator
        try:
            self.before: int | None = max((j.id for j in jobs(1)), default=0)
        except BayopsError:
            self.before = None  # the run's job cannot be told then; the run still runs

    def own(self, limit: int = 20) -> Job | None:
        """The newest job this operator started since ``before`` (among the newest ``limit``)."""
        if self.before is None:
            return None
        return next((j for j in self._jobs(limit) if j.id > self.before
                     and j.operator == self._operator), None)
