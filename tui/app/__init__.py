"""The Textual dashboard. Imported only when `bayops` runs without a sub-command."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys

from tui.core.config import Config
from tui.model.errors import BadInput


def run_dashboard(config: Config, args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # A script that ran bare `bayops` wants a sub-command, not escape codes.
        raise BadInput("the dashboard needs a terminal on stdin and stdout; "
                       "scripts use the sub-commands (bayops --help)")
    from tui.app.app import AppOptions, BayopsApp
    from tui.app.terminal import TerminalDriver
    from tui.client import open_client

    # Interrupted jobs are resumed by the app in the background, not before the first paint
    # (or by the server, when this dashboard is a client of one).
    core, _ = open_client(config, getattr(args, "state", None), getattr(args, "server", None),
                          read_only=bool(getattr(args, "read_only", False)))
    app = BayopsApp(core, AppOptions(theme=getattr(args, "theme", None)))
    app.driver_class = TerminalDriver  # lets go of a terminal that went away (issue 27)
    try:
        app.run()
    finally:
        running = app.running_local_jobs()
        if running:
            # A job thread is still in a core call. Leave it journaled and exit now: the
            # next `bayops` start or `bayops jobs resume` finishes it (docs/architecture.md, "Jobs").
            with contextlib.suppress(OSError, ValueError):  # the terminal may be gone
                sys.stderr.write("bayops: left running, journaled for `bayops jobs resume`: "
                                 + ", ".join(running) + "\n")
                sys.stderr.flush()
                sys.stdout.flush()
            os._exit(app.return_code or 0)
        core.close()
    return app.return_code or 0
