"""Start-up: `bayops --help` and `bayops status` import only what they use (issue 20, 22).

Each runs `tui.cli.main` in a fresh interpreter and reads `sys.modules` at exit: what a
command imports is what every start of it pays for (bench/cli_start.py times it).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_config
from tui.cli import commands
from tui.cli.parsing import Parser

# Runs the CLI, then writes the imported modules to the file named by argv[1], whatever
# main did (argparse's --help exits by SystemExit).
WRAPPER = """
import sys
out, sys.argv[1:] = sys.argv[1], sys.argv[2:]
from tui.cli import main
try:
    code = main()
finally:
    with open(out, "w") as f:
        # a None entry is an import blocked on purpose (tui.client's httpx._main), no module
        f.write("\\n".join(sorted(k for k, m in sys.modules.items() if m is not None)))
sys.exit(code)
"""

# Never needed by the embedded CLI's status or help: the dashboard, the service, the
# client's transport, a PostgreSQL driver, the Redfish driver, test tooling.
HEAVY = ("textual", "rich", "httpx", "aiohttp", "psycopg", "psycopg_pool", "hypothesis",
         "pytest", "tui.app", "tui.server", "tui.drivers.redfish", "asyncio", "ssl",
         # argparse's width look-up (and bz2, lzma with it); OpenSSL's hashes; a runner's ids
         "shutil", "hashlib", "uuid")


def imported(tmp_path: Path, *argv: str) -> set[str]:
    out = tmp_path / "modules.txt"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BAYOPS_")
           and k not in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env.update(HOME=str(tmp_path), BAYOPS_STATE=str(tmp_path / "state.db"), BAYOPS_SERVER="none")
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(out), *argv], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(out.read_text().split())


def under(modules: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)}


def test_help_imports_only_argparse_and_the_command_table(tmp_path: Path) -> None:
    modules = imported(tmp_path, "--help")
    assert {m for m in modules if m.startswith("tui.")} == {
        "tui.cli", "tui.cli.main", "tui.cli.commands", "tui.cli.parsing",
        "tui.model", "tui.model.errors", "tui.model.text"}
    assert not under(modules, (*HEAVY, "sqlite3", "tomllib", "dataclasses", "typing"))


@pytest.mark.parametrize("columns", [50, 200])
def test_help_fits_the_terminal_width_it_finds_without_shutil(
        columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= columns - 2
    # wide: the description on one line; narrow: wrapped
    assert ("per-group summary: bays, health, spares, maintenance, jobs" in lines) == (columns > 70)


def test_status_imports_its_command_and_the_embedded_core_only(tmp_path: Path) -> None:
    modules = imported(tmp_path, "status", "--json")
    assert "tui.cli.fleet" in modules and "tui.core.queries" in modules  # it did run
    other_commands = {f"tui.cli.{m}" for _, m, _ in commands.COMMANDS} - {"tui.cli.fleet"}
    assert not modules & other_commands
    assert not under(modules, (*HEAVY, "tui.model.story", "tui.core.store.schema_pg"))
    # no operation's module, nor the job registry that names them all: only what the
    # fleet view reads (the spare ranking and the coverage badge)
    assert {m for m in modules if m.startswith("tui.core.ops.")} <= {
        "tui.core.ops.placement", "tui.core.ops.coverage"}


def test_status_at_a_glance_makes_none_of_the_models_classes(tmp_path: Path) -> None:
    """Once the store exists and its config was found valid, `status` reads the state file
    alone (tui.core.store.glance): no entity, job parameter or plan class is made, no
    config checker, view or Core imported (issue 22: they cost twice its budget)."""
    imported(tmp_path, "status")  # builds the store; finds the config valid
    modules = imported(tmp_path, "status", "--json")
    assert "tui.core.store.glance" in modules  # it did run
    assert not under(modules, (*HEAVY, "tui.model.entities", "tui.model.params", "tui.model.plan",
                               "tui.model.tables", "tui.core.config", "tui.core.view",
                               "tui.core.api", "tui.core.queries", "tui.core.ops",
                               "tui.core.store.fleet", "tui.core.store.base", "tui.drivers"))


def test_served_status_imports_neither_the_core_nor_the_client_nor_a_model_class(
        tmp_path: Path) -> None:
    """As a server's client (its config found valid), `status` asks one question on the
    Unix socket (tui.client.quick): no httpx, no Core, no RemoteCore, no entity (issue 22:
    they cost it three times its budget)."""
    from tests.serve_support import InProcessServer, socket_path
    from tui.resources import data_path

    sock = socket_path(tmp_path)
    with InProcessServer(data_path("config.toml"), tmp_path / "served.db", sock):
        imported(tmp_path, "--server", f"unix:{sock}", "status")  # finds the config valid
        modules = imported(tmp_path, "--server", f"unix:{sock}", "status", "--json")
    assert "tui.client.quick" in modules  # it did ask
    assert {m for m in modules if m.startswith("tui.core")} == {"tui.core", "tui.core.configpath"}
    assert not under(modules, (*HEAVY, "sqlite3", "tomllib", "tui.client.remote",
                               "tui.client.methods", "tui.model.entities", "tui.model.params",
                               "tui.model.plan", "tui.model.tables", "tui.model.api",
                               "tui.model.wire", "tui.drivers"))


# Shown when their key is pressed (tests/app press them): the dashboard's first paint
# does without their modules.
DIALOGS = ("tui.app.ack_screen", "tui.app.domain_edit_screen", "tui.app.event_screen",
           "tui.app.failover_screen", "tui.app.fault_screen", "tui.app.help_screen",
           "tui.app.job_screen", "tui.app.maintenance_start_screen", "tui.app.move_screen",
           "tui.app.policy_screen", "tui.app.story_screen", "tui.story_text")


def test_the_dashboard_imports_its_dialogs_when_they_are_first_shown() -> None:
    proc = subprocess.run([sys.executable, "-c", "import sys, tui.app.app, tui.app.terminal\n"
                           "print('\\n'.join(k for k, m in sys.modules.items() if m))"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    modules = set(proc.stdout.split())
    assert "tui.app.main_screen" in modules  # it did import the dashboard
    assert not under(modules, DIALOGS)


# The dashboard to its first paint (headless), then the modules it imported.
FIRST_PAINT = """
import sys
from tui.app.app import AppOptions, BayopsApp
from tui.client import open_client
from tui.core.config import find_config, load_config
core, _ = open_client(load_config(find_config(None)), sys.argv[1], None)
app = BayopsApp(core, AppOptions(watch_terminal=False, save_theme=False))
app.on_first_paint = app.exit
app.run(headless=True, size=(120, 40))
print("\\n".join(k for k, m in sys.modules.items() if m))
"""


def test_the_dashboards_first_paint_makes_no_job_params_and_no_policy(tmp_path: Path) -> None:
    """A fleet with a history of jobs paints without the params' ~30 dataclasses (made when
    a job's params are first read: its dialog) and without the monitor's operations
    (imported at its first poll)."""
    config = tmp_path / ".config" / "bayops" / "config.toml"
    config.parent.mkdir(parents=True)
    write_config(config)  # the demo, its simulator instant
    imported(tmp_path, "status")  # the demo fleet built (building it makes its profiles' jobs' params)
    imported(tmp_path, "failover", "enc-w1/1", "--force", "--yes")
    imported(tmp_path, "move", "web-002", "--to", "enc-w2/16", "--yes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYOPS_")
           and k not in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    proc = subprocess.run([sys.executable, "-c", FIRST_PAINT, str(tmp_path / "state.db")],
                          env={**env, "HOME": str(tmp_path)}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    modules = set(proc.stdout.split())
    assert "tui.app.groups_pane" in modules  # it did paint the dashboard
    assert not under(modules, ("tui.model.params", "tui.core.monitor", "tui.core.ops.failover",
                               "tui.core.ops.failback", "tui.core.ops.adopt"))


@pytest.mark.parametrize(("name", "module", "help_text"), commands.COMMANDS)
def test_the_table_says_what_the_module_registers(name: str, module: str,
                                                  help_text: str) -> None:
    """`bayops --help` lists the table's help; `bayops NAME --help` the module's parser."""
    sub = Parser(prog="bayops").add_subparsers(parser_class=Parser)
    __import__(f"tui.cli.{module}", fromlist=["register"]).register(sub)
    helps = {action.dest: action.help for action in sub._choices_actions}
    assert helps.get(name) == help_text
