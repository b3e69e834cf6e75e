"""`bayops info`: which config, state, driver and operator this bayops uses.

Its own module because it is listed last in `bayops --help`.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import _emit
from tui.cli.parsing import command
from tui.model.driver import DriverError, ProfileManager
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.core.api import Core


def register(sub: Subparsers) -> None:
    command(sub, "info", "embedded or a server's client: paths, driver, operator").set_defaults(handler=_info)


def _info(core: Core, args: argparse.Namespace) -> int:
    from tui.core.config import user_config_path

    origin = getattr(args, "client_origin", "")
    if core.remote:  # the server's config, state and roles; this client's own config
        server = getattr(core, "server_info", {})
        data = {"mode": "client", "server": getattr(core, "url", ""), "chosen_by": origin,
                "via": server.get("via"), "server_config": server.get("config"),
                "server_state": server.get("state"), "server_pid": server.get("pid"),
                "user_config": str(user_config_path()), "driver": core.driver.name,
                "operator": core.operator, "read_only": core.read_only,
                "roles": server.get("roles", {})}
    else:
        data = {"mode": "embedded", "chosen_by": origin,
                "config": str(core.config.path), "user_config": str(user_config_path()),
                "state": core.store.where, **core.store.file_modes(),
                "driver": core.driver.name,
                "operator": core.operator, "read_only": core.read_only,
                "roles": {g: core.role(g) for g in core.store.group_names()}}
    if isinstance(core.driver, ProfileManager):  # the appliance, its API version, what it maps
        try:
            data.update(core.driver.describe())
        except DriverError as exc:
            data["appliance"] = f"did not answer: {exc}"
    width = max(map(len, data))
    _emit(args, data, lambda: "\n".join(f"{k:{width}} {printable(v)}" for k, v in data.items()))
    return 0
