"""`bayops info`: which config, state, driver and operator this bayops uses.

Its own module because it is listed last in `bayops --help`.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.output import emit
from tui.cli.parsing import command
from tui.model.driver import DriverError, ProfileManager
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    command(sub, "info", "embedded or a server's client: paths, driver, operator").set_defaults(handler=_info)


def _info(core: Client, args: argparse.Namespace) -> int:
    from tui.core.config import user_config_path

    origin = getattr(args, "client_origin", "")
    user = user_config_path()
    server = core.server_info()
    if core.mode == "client":  # the server's config, state and roles; this client's own config
        data = {"mode": "client", "server": core.server, "chosen_by": origin,
                "via": server.get("via"), "server_role": server.get("role"),
                "epoch": server.get("epoch"), "leader": server.get("leader"),
                "server_config": server.get("config"),
                "server_state": server.get("state"), "server_pid": server.get("pid"),
                "user_config": str(user) if user.exists() else None, "driver": core.driver.name,
                "operator": core.operator, "read_only": core.read_only,
                "roles": server.get("roles", {})}
    else:
        roles = server.pop("roles")
        data = {"mode": "embedded", "chosen_by": origin, "config": server.pop("config"),
                "user_config": str(user) if user.exists() else None, **server,
                "driver": core.driver.name,
                "operator": core.operator, "read_only": core.read_only, "roles": roles}
    if isinstance(core.driver, ProfileManager):  # the appliance, its API version, what it maps
        try:
            data.update(core.driver.describe())
        except DriverError as exc:
            data["appliance"] = f"did not answer: {exc}"
    emit(args, data, lambda: _text(data, user))
    return 0


def _text(data: dict[str, Any], user: Path) -> str:
    """One line per key; the roles as group=role, an absent user config as what would be read."""
    shown = dict(data)
    shown["roles"] = ", ".join(f"{g}={r}" for g, r in data["roles"].items()) or "-"
    shown["user_config"] = data["user_config"] or f"none ({user} is not there)"
    if data.get("server_role"):
        epoch = f", lease epoch {data['epoch']}" if data.get("epoch") is not None else ""
        leader = f", leader {data['leader']}" if data["server_role"] == "standby" else ""
        shown["server_role"] = f"{data['server_role']}{leader}{epoch}"
    for key in ("epoch", "leader"):
        shown.pop(key, None)
    width = max(map(len, shown))
    return "\n".join(f"{k:{width}} {printable(v)}" for k, v in shown.items())
