"""A long run's steps on stderr while it runs (`failover`, `firmware upgrade`, `maintenance
complete`, ...): the run's answer comes only at its end, minutes later on real hardware.

Read from the job's journal through the client (``jobs``, ``job``), so the embedded core
and a served one are followed alike; stdout (``--json`` too) is untouched.
"""
from __future__ import annotations

import sys
import threading
from contextlib import suppress
from types import TracebackType
from typing import TYPE_CHECKING

from tui.model.errors import BayopsError
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.client.protocol import Client
    from tui.model.entities import Job

# A run that ends sooner says nothing on the way (its answer is the job); then a look at
# the journal every EVERY seconds.
AFTER = 1.0
EVERY = 0.5


class JobProgress:
    """Follows the job that the run inside ``with`` starts (``Client.run_job``) and prints
    each step as it starts and as it ends."""

    def __init__(self, core: Client) -> None:
        self._core = core
        self._stop = threading.Event()
        self._job: int | None = None
        self._said: dict[int, str] = {}  # step seq -> the state last printed
        self._lock = threading.Lock()  # the follower and the last look print in turn
        self._run = core.run_job()  # before None: no progress then; the run still answers
        self._thread = threading.Thread(target=self._follow, daemon=True, name="bayops-progress")

    def __enter__(self) -> JobProgress:
        if self._run.before is not None:
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._job is not None and (kind is None or isinstance(exc, BayopsError)):
            self._look()  # each step said to start is also said to end

    def _follow(self) -> None:
        if self._stop.wait(AFTER):
            return
        while not self._stop.is_set():
            self._look()
            self._stop.wait(EVERY)

    def _look(self) -> None:
        with self._lock, suppress(BayopsError):
            job = self._find() if self._job is None else self._core.job(self._job)
            if job is not None:
                self._print(job)

    def _find(self) -> Job | None:
        own = self._run.own(5)
        if own is not None:
            self._job = own.id
        return own

    def _print(self, job: Job) -> None:
        for step in job.steps:
            if self._said.get(step.seq) == step.state:
                continue
            self._said[step.seq] = step.state
            detail = f": {step.detail}" if step.detail and step.state != "running" else ""
            sys.stderr.write(printable(f"bayops: job {job.id} step {step.seq} [{step.state}] "
                                       f"{step.name}{detail}") + "\n")
        sys.stderr.flush()
