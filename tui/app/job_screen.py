"""One job: its journal step by step, live while it runs; for a failover, why that
spare was chosen and which were tried."""
from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app import format as fmt
from tui.model.entities import Job
from tui.model.errors import BayopsError
from tui.model.params import FailoverParams, MaintenanceCompleteParams
from tui.model.text import printable


def job_text(job: Job) -> Text:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(job.created))
    out = Text()
    out.append(f"{printable(job.summary)}\n", style="bold")
    out.append(f"state {fmt.JOB_STATE_TEXT.get(job.state, job.state)}   by {printable(job.operator)}   "
               f"started {when}")
    if job.finished:
        out.append(f"   took {fmt.duration(job.finished - job.created)}")
    out.append("\n")
    p = job.params
    if isinstance(p, FailoverParams):
        out.append("\nWhy this target\n", style="bold")
        out.append(printable(f"  {p.target or '(none left)'}: {p.reason or '(not journaled)'}") + "\n")
        if p.tried:
            out.append(printable(f"  tried first, failed: {', '.join(p.tried)}") + "\n")
    elif isinstance(p, MaintenanceCompleteParams) and p.diff:
        out.append("\nChanges propagated\n", style="bold")
        out.append("".join(f"  {printable(d)}\n" for d in p.diff))
        out.append(printable(f"  to: {', '.join(p.others) or 'no other domain'}") + "\n")
    out.append("\nJournal\n", style="bold")
    if not job.steps:
        out.append("  (no step journaled yet)\n")
    for s in job.steps:
        if fmt.retried(s, job):  # shown once, as the run that took it over
            continue
        took = f" ({s.finished - s.started:.1f}s)" if s.finished else ""
        runs = sum(other.name == s.name for other in job.steps if other.seq <= s.seq)
        again = f", {runs} runs (resumed after an interruption)" if runs > 1 else ""
        out.append(f"  {s.seq:>2}. {fmt.STEP_TEXT.get(s.state, s.state)} {printable(s.name)}"
                   f"{again}{took}\n",
                   style={"failed": "bold red", "interrupted": "bold red",
                          "running": "bold"}.get(s.state, ""))
        if s.detail:
            out.append(f"        {printable(s.detail)}\n", style="dim")
    if job.state == "running" and job.pid:
        out.append(f"\nrunning in process {job.pid}\n", style="dim")
    elif job.state == "interrupted":
        out.append(f"\ninterrupted: process {job.pid} ended without finishing it; it keeps its "
                   "locks until `bayops jobs resume` finishes it\n", style="bold red")
    return out


class JobScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "close", "Close", id="job.close")]

    def __init__(self, job_id: int, fetch: Callable[[int], Job]) -> None:
        super().__init__()
        self.job_id = job_id
        self.fetch = fetch

    def compose(self) -> ComposeResult:
        # The widgets are kept, not queried: a screen pushed from a message handler can be
        # mounted before its grandchildren are, and the first reload runs in on_mount.
        self._title = Static(f"Job {self.job_id}", classes="title", id="job-title")
        self._journal = Static("", id="journal")
        self._fill()
        with Vertical(classes="dialog"):
            yield self._title
            with VerticalScroll():
                yield self._journal

    def on_mount(self) -> None:
        self.set_interval(0.5, self.reload)

    def _fill(self) -> bool:
        """Show the job as it is now; False once it has finished (nothing more to follow)."""
        try:
            job = self.fetch(self.job_id)
        except BayopsError as exc:
            self._journal.update(printable(str(exc)))
            return False
        self._title.update(printable(f"Job {job.id}: {job.kind} ({job.state})"))
        self._journal.update(job_text(job))
        return job.unfinished  # an interrupted job may be resumed meanwhile

    def reload(self) -> None:
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)
