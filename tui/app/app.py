"""BayopsApp: owns the core handle, the polling loop, the job threads, themes and keys."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from tui.app import commands as cmds
from tui.app.alerting import Alerts
from tui.app.confirm_screen import ConfirmScreen, PlanView
from tui.app.fleet import Snapshot
from tui.app.goto import GotoProvider
from tui.app.header_bar import clock_minute
from tui.app.keygate import KeyGate
from tui.app.lost import LostServerApp
from tui.app.main_screen import MainScreen, OneFooter
from tui.app.notes import NotesApp
from tui.app.results import result_text
from tui.app.story_actions import mark_looked
from tui.app.terminal import arm_hard_exit, watch_signals
from tui.app.themes import (
    DEFAULT_THEME,
    TEXTUAL_THEMES_KEPT,
    VARIABLE_DEFAULTS,
    load_themes,
    no_greys,
    save_theme,
    saved_theme,
    ui_state_path,
)
from tui.core.view import ViewUpdate
from tui.model.errors import BayopsError
from tui.resources import data_path

if TYPE_CHECKING:
    from tui.client.protocol import Client, Poller

FIRST_EVENTS = 500  # newest events shown at start
FEED_SECONDS = 0.25  # how often the view asks the store's change feed what changed
# A busy feed's batch is applied in slices of this many bays, keys handled between them
# (a key waits for one slice's bays, not for 1,000 bays, the figures and the repaint)
APPLY_SLICE = 250
SWEEP_SECONDS = 5.0  # full hardware health sweep (pushed hardware events: every poll)
PUSHED_FEED_SECONDS = 5.0  # a service's client: its feed wakes the reader; this is a backstop


class Fetched(Message):
    """What changed in the store since the view's revision (read in the feed worker)."""

    def __init__(self, update: ViewUpdate) -> None:
        super().__init__()
        self.update = update


class JobFinished(Message):
    def __init__(self, label: str, result: Any = None, error: BaseException | None = None) -> None:
        super().__init__()
        self.label, self.result, self.error = label, result, error


@dataclass(frozen=True)
class AppOptions:
    """How a dashboard runs: `bayops`'s defaults; tests and benches change them."""

    theme: str | None = None  # None: the saved choice, else the default
    clock: Callable[[], float] = time.time
    autopoll: bool = True  # poll the hardware in this process (embedded)
    poll_interval: float = 1.0
    save_theme: bool = True
    keys: dict[str, str] | None = None  # None: the config's
    resume: bool = True  # resume interrupted jobs in the background at start
    watch_terminal: bool = True
    on_first_paint: Callable[[], None] | None = None


class BayopsApp(KeyGate, LostServerApp, NotesApp):
    CSS_PATH = str(data_path("themes/bayops.tcss"))
    TITLE = "bayops"
    COMMANDS = App.COMMANDS | {GotoProvider}  # ctrl+p also finds the fleet's names

    def __init__(self, core: Client, options: AppOptions | None = None) -> None:
        super().__init__()
        options = options or AppOptions()
        self._filters = no_greys(self._filters)  # Textual has no public way to set them
        self.on_first_paint = options.on_first_paint
        self.core = core
        self.clock = options.clock
        self.autopoll = options.autopoll
        self.poll_interval = options.poll_interval
        self.requested_theme = options.theme
        self.save_theme_choice = options.save_theme
        self.keys = dict(core.config.keys if options.keys is None else options.keys)
        self.resume = options.resume
        self.watch_terminal = options.watch_terminal
        self.main: MainScreen | None = None
        self.alerts = Alerts(self, core.config.bell)
        self.job_threads: dict[str, threading.Thread] = {}
        self.saved_theme_message = ""
        self._polling = False
        self._poll_after_load = False  # an outline is shown: the first poll waits for the view
        self._poll_timer: Timer | None = None
        self._feed_wake = threading.Event()
        self._applied = threading.Event()
        self._theme_ready = False
        self._fleet_shown = False  # the main screen has the fleet: its next frame shows it
        self._feed_seconds = FEED_SECONDS
        self.stats = os.environ.get("BAYOPS_STATS")  # benchmarks read applied changes here
        self._theme_said = self._choose_theme()

    # -- start --------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def _choose_theme(self) -> list[tuple[str, str]]:
        """Register the themes and set the one to use, before the stylesheet is first
        parsed (set once the app runs, Textual parses and applies it all again: ~0.1 s
        of CPU at start). Returns what to tell the operator once a screen shows:
        (title, message)."""
        themes, problems = load_themes()
        said = [("Theme skipped", problem) for problem in problems]
        for name in set(self.available_themes) - set(TEXTUAL_THEMES_KEPT):
            self.unregister_theme(name)  # `T` lists ours and a few of Textual's, not ~20
        for theme in themes:
            self.register_theme(theme)
        self.ui_state = ui_state_path(self.core.store.path)
        chosen = saved_theme(self.ui_state) if self.save_theme_choice else None
        # --theme > the choice made here last time > [bayops] theme > dark
        wanted = self.requested_theme or chosen or self.core.config.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            said.append(("Theme", f"no theme named {wanted!r}; using {DEFAULT_THEME} "
                                  f"(themes: {', '.join(t.name for t in themes)})"))
            wanted = DEFAULT_THEME
        self.theme = wanted
        # The theme applied at start needs no saving (the signal fires for it too).
        self._saved_theme = wanted
        return said

    def _theme_changed(self, theme) -> None:
        if not self._theme_ready or not self.save_theme_choice or theme.name == self._saved_theme:
            return
        self._saved_theme = theme.name
        if self.core.read_only:
            self.notify(f"theme {theme.name} for this session (read-only: not kept)",
                        title="Theme", timeout=4)
            return
        try:
            self.saved_theme_message = save_theme(theme.name, self.ui_state)
        except OSError as exc:
            self.notify(f"{self.ui_state}: {exc.strerror or exc}", title="Theme not kept",
                        severity="warning")
            return
        self.notify(self.saved_theme_message, title="Theme", timeout=4)

    def _setup_keys(self) -> None:
        keymap, problems = cmds.check_keymap(self.keys)
        for problem in problems:
            self.notify(problem, title="config.toml [keys]", severity="warning", timeout=10)
        if keymap:
            self.set_keymap(keymap)

    async def on_mount(self) -> None:
        for title, message in self._theme_said:
            self.notify(message, title=title, severity="warning")
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._theme_ready = True
        self._setup_keys()
        for message in self.core.warnings:  # e.g. TLS checks off for a BMC, a state others read
            self.notify(message, title="Warning", severity="warning", timeout=30)
        # A big fleet paints its outline first; the feed worker loads the whole view
        # (tests without autopoll keep the one synchronous load).
        snap, events = Snapshot.load(self.core, FIRST_EVENTS, outline=self.autopoll)
        self.main = MainScreen()
        await self.push_screen(self.main)
        self.main.apply(snap, events)
        self._fleet_shown = True
        self._minute = clock_minute(self.clock)  # what the first paint shows: no tick repaints it
        if not snap.partial:  # an outline's criticals are not all of them: no title yet
            self.alerts.update(snap.alerting)
        if self.on_first_paint is not None:
            self.call_after_refresh(self.on_first_paint)
        if self.watch_terminal:
            with contextlib.suppress(ValueError):  # not the main thread
                watch_signals(self.hangup)
        self.set_interval(1.0, self._tick)
        if self.resume and self.core.mode == "embedded":
            self._resume_interrupted()
        if self.autopoll:
            # After the first paint: an outline's feed worker reads every bay first, and a
            # served feed's thread connects and reads its first answer: either, beside the
            # paint, takes the GIL from it
            self.call_after_refresh(self._follow_changes, snap.partial)
        if self.stats:
            self.set_interval(1.0, self._write_stats)

    def _follow_changes(self, partial: bool) -> None:
        if self.core.subscribe(self._feed_wake.set):
            self._feed_seconds = PUSHED_FEED_SECONDS  # the server says when
        elif partial:
            # the hardware polls begin once the whole view is in: the first one reads
            # the whole fleet too, and both at once take twice as long
            self._poll_after_load = True
        else:
            self._schedule_poll(self.poll_interval)
        self._start_feed(partial)

    def _display(self, screen: Screen, renderable: Any) -> None:
        """Textual 8.2.8's writing of a frame (none in a batch or without a renderable):
        after the main screen's first with the fleet, its footer's keys come
        (``OneFooter.frame_out``; a frame while the screen is pushed, before the fleet is
        in it, does not count)."""
        written = renderable is not None and not self._batch_count
        super()._display(screen, renderable)
        if written and self._fleet_shown and screen is self.main and self.main is not None:
            self.main.query_one(OneFooter).frame_out()

    def _start_feed(self, whole: bool) -> None:
        if whole:
            self._feed_wake.set()  # its first task: the whole view
        self.run_worker(self._follow_feed, thread=True, group="feed", exit_on_error=False,
                        name="feed")

    def _resume_interrupted(self) -> None:
        try:
            waiting = self.core.interrupted_jobs()
        except BayopsError:
            return
        if waiting and self.core.read_only:
            self.notify(f"{len(waiting)} interrupted job(s) wait for `bayops jobs resume` "
                        "(read-only: not resumed here)", severity="warning")
        elif waiting:
            self.notify(f"resuming {len(waiting)} interrupted job(s): "
                        + ", ".join(f"#{j.id} {j.summary}" for j in waiting), title="Jobs")
            self.start_job("resume of interrupted jobs", self.core.resume_interrupted)

    def whoami(self) -> str:
        core = self.core
        where = f"server {core.server}" if core.mode == "client" else f"config {core.config.path}"
        return (f"operator {core.operator}, driver {core.driver.name}"
                + (", READ-ONLY" if core.read_only else "") + f", {where}")

    # -- polling ------------------------------------------------------------------------------
    @cached_property
    def monitor(self) -> Poller | None:
        """What polls the hardware here; None as a client of a service (it polls, and
        resumes jobs). Made at the first poll: the policy's operations (failover, failback,
        ports, adoption) are imported then, not before the first paint."""
        return self.core.poller(apply_policy=not self.core.read_only, sweep_seconds=SWEEP_SECONDS)

    def _schedule_poll(self, delay: float) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self._poll_timer = self.set_timer(delay, self.poll)

    def poll(self) -> None:
        """One hardware poll (the monitor) in a worker thread; the next is scheduled when
        it ends. What it finds reaches the panes through the change feed."""
        if self._polling or self.monitor is None:
            return
        self._polling = True
        self.run_worker(self._poll_thread, thread=True, group="poll", exit_on_error=False,
                        name="poll")

    def poll_soon(self) -> None:
        """Look at the change feed now (e.g. a job just ended)."""
        self._feed_wake.set()

    def _poll_thread(self) -> None:
        try:
            if self.monitor is not None:
                self.monitor.poll()
        except Exception as exc:  # a poll must never kill the dashboard
            self.log.warning(f"poll failed: {type(exc).__name__}: {exc}")
        self.call_from_thread(self._polled)

    def _polled(self) -> None:
        self._polling = False
        if self.autopoll and self._poll_timer is not None:
            self._schedule_poll(self.poll_interval)

    def _follow_feed(self) -> None:
        """The feed worker: ask what changed every FEED_SECONDS (one indexed query when
        nothing did), hand real changes to the UI and wait until they are applied."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            # A server's client waits for its feed, in slices so that quitting never waits.
            until = time.monotonic() + self._feed_seconds
            while not (self._feed_wake.wait(min(FEED_SECONDS, self._feed_seconds))
                       or worker.is_cancelled or time.monotonic() >= until):
                pass
            self._feed_wake.clear()
            if self.main is None or worker.is_cancelled:
                continue
            try:
                update = self._whole_view() or self.main.snapshot.fetch(self.core)
            except Exception as exc:  # a bad read (a lost server) must never kill the dashboard
                self.log.warning(f"feed failed: {type(exc).__name__}: {exc}")
                self.feed_failed(exc)
                continue
            self.feed_answered()
            for part in update.slices(APPLY_SLICE) if update.changed else ():
                self._applied.clear()
                self.post_message(Fetched(part))
                self._applied.wait(5)
            if update.more:
                self._feed_wake.set()

    def _whole_view(self) -> ViewUpdate | None:
        """The whole view, as a reload, while the screen shows an outline (feed worker)."""
        if self.main is None or not self.main.snapshot.partial:
            return None
        view, _ = Snapshot.load(self.core)
        return ViewUpdate(view.rev, reload=view, changed=True)

    def on_fetched(self, message: Fetched) -> None:
        try:
            if self.main is not None:
                self.main.apply_update(message.update)
                self.alerts.update(self.main.snapshot.alerting)
                if self._poll_after_load and not self.main.snapshot.partial:
                    self._poll_after_load = False
                    self._schedule_poll(self.poll_interval)
        finally:
            self._applied.set()

    def refresh_now(self) -> None:
        """Synchronous catch-up with the feed (tests and snapshots): no monitor, no thread."""
        if self.main is None:
            return
        while True:
            update = self.main.snapshot.fetch(self.core)
            self.main.apply_update(update)
            self.alerts.update(self.main.snapshot.alerting)
            if not update.more:
                return

    def _write_stats(self) -> None:
        snap = self.main.snapshot if self.main is not None else None
        if snap is None or not self.stats:
            return
        with contextlib.suppress(OSError), open(self.stats, "a") as out:
            out.write(json.dumps({"t": time.time(), "applied": snap.applied, "rev": snap.rev}) + "\n")

    def _tick(self) -> None:
        self.show_held()  # a dialog closed by a way the main screen did not hear
        minute = clock_minute(self.clock)
        if self.main is not None and minute != self._minute:
            self._minute = minute  # the clock and the lease countdowns show minutes
            self.main.minute_passed()
        if self.watch_terminal and not _terminal_alive():
            self.hangup()

    def hangup(self) -> None:
        """The terminal went away (SIGHUP, SIGTERM, stdin gone, EIO on it): exit now, and
        within HARD_EXIT_SECONDS whatever is stuck. A running job stays journaled; the next
        bayops start or `bayops jobs resume` finishes it."""
        arm_hard_exit()
        self.exit(return_code=0)

    # -- jobs ---------------------------------------------------------------------------------
    def start_job(self, label: str, work: Callable[[], Any]) -> None:
        """Run a core call in a daemon thread: input never waits, and quitting never waits
        for it (the job is journaled step by step by the core)."""
        def run() -> None:
            try:
                result = work()
            except BaseException as exc:  # reported to the operator
                self._post_safe(JobFinished(label, error=exc))
            else:
                self._post_safe(JobFinished(label, result=result))
        thread = threading.Thread(target=run, name=f"bayops-job: {label}", daemon=True)
        key = f"{label}#{id(thread)}"
        self.job_threads[key] = thread
        thread.start()
        self.notify(f"started: {label}", title="Job", timeout=3)
        self.poll_soon()

    def _post_safe(self, message: Message) -> None:
        # The app may be gone; the core has journaled the job anyway.
        with contextlib.suppress(Exception):
            self.post_message(message)

    def on_job_finished(self, message: JobFinished) -> None:
        for key, thread in list(self.job_threads.items()):
            if not thread.is_alive():
                del self.job_threads[key]
        if message.error is not None:
            if self.main is not None:
                err = message.error
                if isinstance(err, BayopsError):
                    self.main.refuse(err)
                else:
                    self.notify(f"{message.label}: {type(err).__name__}: {err}", title="Error",
                                severity="error", timeout=10)
        else:
            self.notify(result_text(message.label, message.result), title="Done", timeout=5)
        self.refresh_soon()

    def refresh_soon(self) -> None:
        """The panes catch up with a change made here: the feed worker, or at once (tests)."""
        if self.autopoll:
            self.poll_soon()
        else:
            self.refresh_now()

    def running_local_jobs(self) -> list[str]:
        return [k.split("#")[0] for k, t in self.job_threads.items() if t.is_alive()]

    async def action_quit(self) -> None:
        """Textual's own ctrl+q lands here too: it must ask like q does."""
        await self.request_quit()

    async def request_quit(self) -> None:
        mark_looked(self.core)  # the operator saw the fleet until now: the next hand-over
        running = self.running_local_jobs()
        if not running:
            self.exit(return_code=0)
            return
        view = PlanView("Quit while a job runs?",
                        f"{len(running)} job(s) started here are still running: "
                        + ", ".join(running),
                        ["stop the dashboard now",
                         "the job stays journaled: the next `bayops` start or "
                         "`bayops jobs resume` finishes it (or rolls it back)"],
                        confirm_label="Quit anyway", danger=True)

        def answered(ok: bool | None) -> None:
            if ok:
                self.exit(return_code=0)
        self.push_screen(ConfirmScreen(view), answered)

    # -- command palette --------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        main = self.main
        if main is not None:
            for c in cmds.COMMANDS:
                if c.id in ("next-pane", "prev-pane", "quit", "help", "theme", "clear-filter"):
                    continue
                if c.sim_only and self.core.driver.name != "sim":
                    continue
                key = self._keymap.get(c.id, c.key)
                yield SystemCommand(f"{c.label} ({key})", c.help, partial(main.permissions.run_command, c.id))
            yield SystemCommand("Help (?)", "Show every key", partial(main.permissions.run_command, "help"))
        yield SystemCommand("Theme", cmds.BY_ID["theme"].help,
                            self.action_change_theme)
        yield SystemCommand("Quit (q)", "Quit (asks first when a job is running)", self.request_quit)


def _terminal_alive() -> bool:
    """False when the controlling terminal is gone (stdin closed or no longer a TTY)."""
    stream = sys.__stdin__
    if stream is None:
        return False
    try:
        return os.isatty(stream.fileno())
    except (OSError, ValueError):
        return False
