"""argparse pieces every sub-command shares: usage errors, bounded numbers, --json and --yes."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from tui.model.errors import BadInput
from tui.model.text import quoted

TYPE_CHECKING = False  # not typing's: `--help` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction


class UsageError(BadInput):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse asks for a formatter at every add_argument; left to find the width itself
        # it imports shutil (and bz2, lzma): a tenth of `python -c pass` on every start
        return self.formatter_class(prog=self.prog, width=_columns() - 2)  # type: ignore[call-arg]


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it: $COLUMNS, else stdout's
    terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
    except (AttributeError, ValueError, OSError):  # no fileno, closed, not a terminal
        return 80


class LazySubparsers(Subparsers):
    """Sub-commands named from `tui.cli.commands.COMMANDS` without parsers; the one parsed
    (or asked for --help) gets its parser from its module's `register` first, so start-up
    imports one command's module, not every one's (and its imports), and builds its parser
    only (each argparse parser costs a few gettext look-ups on disk)."""

    def add_lazy(self, name: str, help_text: str) -> None:
        self._name_parser_map[name] = None  # type: ignore[assignment]  # set when parsed
        self._choices_actions.append(self._ChoicesPseudoAction(name, (), help_text))

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from tui.cli.commands import COMMANDS

        module = next((m for name, m, _ in COMMANDS if name == values[0]), None)
        if module is not None:
            scratch = Parser(add_help=False).add_subparsers(
                prog=self._prog_prefix, parser_class=Parser)
            importlib.import_module(f"tui.cli.{module}").register(scratch)
            self._name_parser_map.update(scratch._name_parser_map)
        super().__call__(parser, namespace, values, option_string)


def bounded(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a finite number within [low, high]."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{quoted(text)} is not {noun}") from None
        if not (low <= value <= high):  # also false for nan
            shown = (str(int(low)), str(int(high))) if kind is int else (f"{low:g}", f"{high:g}")
            raise argparse.ArgumentTypeError(f"{text} is out of range {shown[0]}..{shown[1]}")
        return value
    return parse


JOB_ID = bounded(int, 1, 2**62)
COUNT = bounded(int, 0, 10**7)
SECONDS = bounded(float, 0.05, 3600)


def command(sub: Subparsers, name: str, help_text: str, json_flag: bool = True) -> argparse.ArgumentParser:
    """A sub-command whose help doubles as its description, with --json unless told not."""
    c = sub.add_parser(name, help=help_text, description=help_text)
    if json_flag:
        c.add_argument("--json", action="store_true", help="one JSON document on stdout")
    return c


def dry_runnable(c: argparse.ArgumentParser) -> None:
    c.add_argument("--dry-run", action="store_true",
                   help="print the plan and exit 0; change nothing (bad input: 2, refused: 3)")


def confirmable(c: argparse.ArgumentParser) -> None:
    c.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    dry_runnable(c)


def expiry_argument(argv: list[str]) -> list[str]:
    """``--expires -5d`` as ``--expires=-5d``: argparse takes a value starting with '-' for an
    option and says 'expected one argument'; the expiry's own range check says more."""
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg == "--expires" and out[i + 1].startswith("-") and out[i + 1][1:2].isdigit():
            out[i:i + 2] = [f"--expires={out[i + 1]}"]
            break
    return out
