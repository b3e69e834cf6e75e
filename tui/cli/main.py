"""The `bayops` entry point: the top-level parser, opening the core, exit codes.

Exit codes: 0 done; 1 operation failed (job failed, rolled back); 2 bad input or usage;
3 refused by a precondition, a lock or a role (nothing changed). With --json, stdout
carries exactly one JSON document (JSON lines for --follow and watch).

Arguments are parsed before anything else is imported: the sub-commands come from the table
in `tui.cli.commands`, and only the parsed command's module is imported (it registers its
parser and sets `handler`); the core, the dashboard and the monitor only once a command
needs them (start-up time; tests/test_import_hygiene.py).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from tui.cli.commands import COMMANDS, LOCAL_COMMANDS
from tui.cli.parsing import LazySubparsers, Parser, UsageError, expiry_argument
from tui.model.errors import BayopsError
from tui.model.text import printable

TYPE_CHECKING = False  # not typing's: `--help` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from tui.client.protocol import Client
    from tui.core.config import Config
    from tui.model.stateref import StateRef

class _Version(argparse.Action):
    """--version: the installed package's version, looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                         nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("bayops")
        except PackageNotFoundError:  # run from a checkout that was never installed
            found = "(not installed)"
        sys.stdout.write(f"bayops {found}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="bayops", description="Operations console for blade-server fleets. "
                "Without a sub-command it opens the dashboard.")
    p.add_argument("--config", help="config file (default: $BAYOPS_CONFIG, the user config, "
                   "the site config /etc/bayops/config.toml if readable, else the packaged demo)")
    p.add_argument("--state", help="state database: a SQLite file or a postgresql:// URL "
                   "(default: $BAYOPS_STATE, else $XDG_STATE_HOME/bayops/state.db)")
    p.add_argument("--theme", help="dashboard theme")
    p.add_argument("--read-only", action="store_true", help="refuse every change")
    p.add_argument("--version", action=_Version, help="show the version and exit")
    p.add_argument("--server", help="a bayops serve to be the client of: unix:/path.sock or "
                   "https://host:port, or several (a,b: active/standby); 'none' runs embedded "
                   "(default: $BAYOPS_SERVER, the user config's server, the site socket "
                   "/run/bayops/bayops.sock if it or the site config /etc/bayops/config.toml "
                   "exists)")
    sub = p.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND",
                           action=LazySubparsers)
    assert isinstance(sub, LazySubparsers)
    for name, _, help_text in COMMANDS:
        sub.add_lazy(name, help_text)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    seen = _Seen()
    # A file size limit then fails the write (a plain error) instead of killing bayops.
    with contextlib.suppress(AttributeError, ValueError):  # no SIGXFSZ; not main thread
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        return _dispatch(argv, seen)
    except (Exception, KeyboardInterrupt) as exc:
        return _ended(exc, seen.state, json_mode)


class _Seen:
    """What the command learned before it failed (no dataclasses: `--help` stays light)."""

    state: StateRef | None = None  # the state, once known: failures of its disk name it


def _dispatch(argv: list[str], seen: _Seen) -> int:
    """Parse, then run the command: the service, the dashboard, a store command, or one
    on the client (embedded Core or a server)."""
    for position, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"argument {position} is not valid UTF-8") from None
    args = build_parser().parse_args(expiry_argument(argv))
    glance = getattr(args, "glance", None)  # `status`: the answer from the state alone?
    if glance is not None and (code := glance(args)) is not None:
        return int(code)
    from tui.core.config import find_config, load_config
    from tui.core.statepath import find_state

    # status (its glance) and the dashboard (its start) read a config found valid before
    # from the record this leaves
    config = load_config(find_config(args.config),
                         remember=glance is not None or args.command is None)
    seen.state = find_state(args.state, config)
    if args.command == "serve":
        return _serve(config, args)
    if args.command is None:
        from tui.app import run_dashboard

        return run_dashboard(config, args)
    if getattr(args, "offline", None) is not None:  # works on stores, not on a fleet
        return int(args.offline(config, args))
    core = _client(config, args)
    try:
        return int(args.handler(core, args))
    finally:
        core.close()


def _client(config: Config, args: argparse.Namespace) -> Client:
    """The client the command runs on, its warnings said and, embedded, the interrupted
    jobs resumed (or counted, read-only) first."""
    from tui.client import open_client

    # `token` writes the server's own store, on its host: never through a server, and
    # only that store when a server is configured or found.
    server = args.server
    if args.command in LOCAL_COMMANDS:
        from tui.cli.serve import token_store

        token_store(config, args)
        server = "none"
    core, args.client_origin = open_client(config, args.state, server, args.read_only)
    for message in core.warnings:
        sys.stderr.write(f"bayops: warning: {printable(message)}\n")
    if core.mode == "client":
        ignored_on_a_server(core.operator, args)
    elif args.read_only:
        waiting = core.interrupted_jobs()
        if waiting:
            sys.stderr.write(f"bayops: {len(waiting)} interrupted job(s) wait for "
                             "`bayops jobs resume` (not resumed: read-only)\n")
    elif not (args.command == "jobs" and args.action == "resume"):
        for job, outcome in core.resume_interrupted():
            sys.stderr.write(f"bayops: resumed interrupted job {job.id} "
                             f"({printable(job.summary)}): {printable(outcome)}\n")
    return core


def ignored_on_a_server(operator: str, args: argparse.Namespace) -> None:
    """Say what a server's client does not use (also `status`'s glance of a server)."""
    given = "--state" if args.state else ("BAYOPS_STATE" if os.environ.get("BAYOPS_STATE") else "")
    if given:
        sys.stderr.write(f"bayops: {given} is ignored: the server ({args.client_origin}) "
                         "owns the state; --server none runs embedded\n")
    if os.environ.get("BAYOPS_USER"):
        sys.stderr.write("bayops: BAYOPS_USER is ignored: the server knows who you "
                         f"are ({printable(operator)})\n")


def _ended(exc: BaseException, state: StateRef | None, json_mode: bool) -> int:
    """The exit code (and the one line) for what stopped the command."""
    if isinstance(exc, BayopsError):
        message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return _fail(message, exc.exit_code, json_mode, exc.code, exc.hint)
    if isinstance(exc, BrokenPipeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if isinstance(exc, KeyboardInterrupt):  # a server's client says where its job goes on
        if str(exc):
            sys.stderr.write(f"bayops: {printable(str(exc))}\n")
        return 130
    # A bug: one line for the operator, the traceback on request ... unless the disk, the
    # media, the file or the process limits failed us: a read or a driver's write to the
    # state that the store did not translate.
    assert isinstance(exc, Exception)
    from tui.client import environment_error

    mapped = environment_error(exc, state)
    if mapped is not None:
        return _fail(str(mapped).splitlines()[0], mapped.exit_code, json_mode,
                     mapped.code, mapped.hint)
    if os.environ.get("BAYOPS_DEBUG"):
        raise exc
    return _fail(f"internal error: {type(exc).__name__}: {exc} "
                 "(BAYOPS_DEBUG=1 shows the traceback)", 1, json_mode)


def _serve(config: Config, args: argparse.Namespace) -> int:
    from tui.server import serve as run_service
    from tui.server.settings import settings

    return run_service(config, args.state,
                       settings(config, args.socket, args.listen, args.advertise))


def _fail(message: str, exit_code: int, json_mode: bool, code: str = "internal",
          hint: str = "") -> int:
    """One line on stderr; with --json also the error's machine-readable code and hint."""
    sys.stderr.write(f"bayops: {printable(message)}\n")
    if json_mode:
        import json

        sys.stdout.write(json.dumps({"error": message, "exit": exit_code, "code": code,
                                     "hint": hint or None}) + "\n")
    return exit_code
