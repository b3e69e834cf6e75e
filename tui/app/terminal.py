"""The dashboard's terminal: Textual's Linux driver made to let go of a terminal that went
away, and the bounded exit that follows (issue 27).

Textual 8.2.8 hangs a dashboard whose pty hangs up (tmux killed, SSH dropped):

- its output writer thread (drivers/_writer_thread.py) dies of the first failed write
  (EIO); nothing empties its 30-slot queue again, so a later write, or the `stop()` of
  `LinuxDriver.close()` at shutdown, blocks the main thread in `Queue.put` for good, and
  the event loop with it, so a SIGTERM handled there is never acted on;
- the kernel sends the foreground process group SIGCONT with the SIGHUP, and its SIGCONT
  handler "resumes" application mode though nothing suspended it: a second writer thread
  (the first one left waiting in `Queue.get`) and a second input thread on a dead terminal.

Here a failed write or read is the terminal going away: it is reported once, later output
is dropped (the writer keeps emptying its queue), SIGCONT resumes only what SIGTSTP
suspended, and `close()` waits a bounded time. Reproduced in tests/app/test_terminal_gone.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver

CLOSE_SECONDS = 1.0  # for the writer to put out the terminal's reset at shutdown
# From the terminal going away (or SIGTERM) to the process gone, whatever is stuck. Safe at
# any moment: the store commits each job step on its own (SQLite WAL: a commit half written
# is no commit; PostgreSQL rolls back a dropped connection's transaction), so the job is
# journaled as far as it went and the next `bayops` start finishes it or rolls it back.
HARD_EXIT_SECONDS = 3.0

_hard_exit = threading.Lock()


def arm_hard_exit(code: int = 0, seconds: float = HARD_EXIT_SECONDS) -> None:
    """End the process ``seconds`` from now unless it has ended by then (once per process):
    a thread stuck writing to a terminal or in a core call must not keep it alive."""
    if not _hard_exit.acquire(blocking=False):
        return

    def expire() -> None:
        time.sleep(seconds)
        os._exit(code)
    # A daemon thread: it outlives a main thread that is stuck joining other threads at exit.
    threading.Thread(target=expire, name="bayops-hard-exit", daemon=True).start()


def watch_signals(hangup: Callable[[], None]) -> None:
    """SIGHUP and SIGTERM end the dashboard: the hard exit is armed and ``hangup`` runs in the
    event loop. A thread of ours hears them, not the main thread: the kernel may deliver a
    signal to any thread, and Python runs its handler only once the main thread executes
    bytecode again, never while it waits in a call (a socket read of a server that stopped
    answering). The signal's number reaches the thread through the wakeup fd, written by
    the C-level handler in whatever thread took the signal. Call it from the main thread."""
    loop = asyncio.get_running_loop()
    heard, told = os.pipe()
    os.set_blocking(told, False)
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: None)  # caught, so that the fd hears of it
    signal.set_wakeup_fd(told, warn_on_full_buffer=False)
    ending = {signal.SIGHUP.value, signal.SIGTERM.value}

    def listen() -> None:
        while not ending.intersection(os.read(heard, 64)):
            pass
        arm_hard_exit()
        with contextlib.suppress(RuntimeError):  # the loop has closed: the exit is under way
            loop.call_soon_threadsafe(hangup)
    threading.Thread(target=listen, name="bayops-signals", daemon=True).start()


class TerminalOutput:
    """The writer thread's file: the first failed write reports the terminal gone, and every
    later one is dropped, so the writer lives on and keeps emptying its queue."""

    def __init__(self, file: IO[str], gone: Callable[[], None]) -> None:
        self._file = file
        self._gone = gone
        self.lost = False

    def write(self, text: str) -> None:
        self._do(self._file.write, text)

    def flush(self) -> None:
        self._do(self._file.flush)

    def fileno(self) -> int:
        return self._file.fileno()

    def _do(self, call: Callable[..., object], *args: str) -> None:
        if self.lost:
            return
        try:
            call(*args)
        except (OSError, ValueError):  # EIO, EPIPE; ValueError: the stream was closed
            self.lost = True
            self._gone()


class TerminalDriver(LinuxDriver):
    """LinuxDriver that tells the app when its terminal goes away instead of hanging."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._output = TerminalOutput(sys.__stderr__, self._terminal_gone)  # type: ignore[arg-type]
        self._file = self._output  # type: ignore[assignment]  # what its writer writes to
        self._suspended = False

    def _terminal_gone(self) -> None:
        """Any thread: the terminal went away. The app exits (its hangup), and the hard
        exit is armed in case something is stuck on the way."""
        self._output.lost = True
        arm_hard_exit()
        hangup = getattr(self._app, "hangup", self._app.exit)
        with contextlib.suppress(RuntimeError):  # the loop has closed: the exit is under way
            self._loop.call_soon_threadsafe(hangup)

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError:  # EIO reading a terminal that went away: not a crash to report
            self._terminal_gone()

    def _sigtstp_application(self, *args: Any) -> None:
        self._suspended = self._auto_restart
        super()._sigtstp_application(*args)

    def _sigcont_application(self, *args: Any) -> None:
        # A hang-up sends SIGCONT too: resume only what SIGTSTP suspended, never a lost terminal.
        if self._suspended and not self._output.lost:
            self._suspended = False
            super()._sigcont_application(*args)

    def close(self) -> None:
        """Textual's close() waits for the writer without limit: a writer stuck on a
        terminal that no longer reads would keep the dashboard forever."""
        writer = self._writer_thread
        if writer is None:
            return
        stopper = threading.Thread(target=writer.stop, name="textual-output-stop", daemon=True)
        stopper.start()
        stopper.join(CLOSE_SECONDS)
