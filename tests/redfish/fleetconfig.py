"""The config.toml of a one-group, one-enclosure Redfish fleet, for CLI tests."""
from __future__ import annotations

from pathlib import Path


def systems_toml(url: str, paths: dict[int, str | None], enclosure: str, credentials: str) -> str:
    """``[[redfish.systems]]`` for bays ``enclosure/n`` -> ``paths[n]`` (None: no ``system``)."""
    return "\n".join(
        f'[[redfish.systems]]\nbay = "{enclosure}/{n}"\nurl = "{url}"\n'
        + (f'system = "{path}"\n' if path else "") + f'credentials = "{credentials}"\n'
        for n, path in paths.items())


def write_fleet_config(path: Path, systems: str, *, group: str, enclosure: str, spares: int,
                       graceful: float, power_deadline: float, poll: float = 0.05,
                       model: str = "c7000", networks: str = "{ prod = 100 }") -> Path:
    path.write_text(f"""
[bayops]
driver = "redfish"
graceful_deadline = {graceful}

[roles]
default = "admin"

[[groups]]
name = "{group}"
policy = "alert"
networks = {networks}
fabrics = ["san-a"]
spares = {spares}
local_boot = 0.0

[[groups.domains]]
name = "{group}-dom"
enclosures = [{{ name = "{enclosure}", model = "{model}" }}]

[redfish]
timeout = 5.0
poll_interval = {poll}
power_deadline = {power_deadline}

{systems}""")
    return path
