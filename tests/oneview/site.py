"""A bayops site on an emulated OneView appliance: its config and a CLI runner.

Shared by the driver's tests and bench/oneview_failover.py. The password reaches bayops
only through the environment variable the config names (``password_env``).
"""
from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import Cli

PASSWORD_ENV = "BAYOPS_TEST_ONEVIEW_PASSWORD"


def site_config(path: Path, emu, *, groups: str | None = None, extra: str = "") -> Path:
    """A config whose groups map the emulator's small_spec(): EG-A's enclosures enc-a1 and
    enc-a2 (enc-a3 stays outside the fleet), EG-B's enc-b1."""
    path.write_text(f'''
[bayops]
driver = "oneview"
graceful_deadline = 1
rediscover_seconds = 0

[oneview]
url = "{emu.url}"
ca_file = "{emu.ca_file}"
user = "{emu.user}"
password_env = "{PASSWORD_ENV}"
poll_interval = 0.02
{extra}
[roles]
default = "admin"
''' + (groups if groups is not None else '''
[[groups]]
name = "EG-A"
spares = 0
networks = { prod-a = 101, prod-b = 102, mgmt = 10 }
fabrics = ["fabric-a", "fabric-b"]
models = ["ProLiant BL460c Gen10"]
[[groups.domains]]
name = "LE-enc-a1"
enclosures = [{ name = "enc-a1", model = "c3000" }]
[[groups.domains]]
name = "LE-enc-a2"
enclosures = [{ name = "enc-a2", model = "c3000" }]

[[groups]]
name = "EG-B"
spares = 0
networks = { prod-a = 101, prod-b = 102, mgmt = 10 }
fabrics = ["fabric-a", "fabric-b"]
models = ["Synergy 480 Gen10"]
[[groups.domains]]
name = "LE-enc-b1"
enclosures = [{ name = "enc-b1", model = "c3000" }]
'''))
    return path


class SiteCli(Cli):
    """`bayops` in a subprocess with the appliance's password in its environment."""

    def __init__(self, config: Path, state: Path | str, password: str) -> None:
        super().__init__(config, state)
        self.password = password

    def env(self, user: str = "tester") -> dict[str, str]:
        env = super().env(user)
        env[PASSWORD_ENV] = self.password
        return env


def site(tmp_path: Path, emu, **kw) -> SiteCli:
    os.environ.pop(PASSWORD_ENV, None)  # only the runner's children get it
    return SiteCli(site_config(tmp_path / "config.toml", emu, **kw), tmp_path / "state.db", emu.password)
