"""Every refusal is an ``access.refused`` event naming who, what and why, from the CLI
embedded and through a service alike (the dashboard's: tests/app/test_refusal_audit.py).
The core audits them, once, whichever face asked."""
from __future__ import annotations

import getpass

import pytest

from tests.conftest import Cli, write_config
from tests.serve_support import InProcessServer, socket_path

pytestmark = pytest.mark.both_stores

VIEWER_DEFAULT = {'default = "admin"\n': 'default = "viewer"\n'}


def audit(cli: Cli) -> list[dict]:
    events = cli("--server", "none", "events", "--json").json
    return [e for e in events if e["kind"] == "access.refused"]


@pytest.mark.parametrize("face", ["embedded", "served"])
def test_a_viewers_failover_from_the_cli_is_one_access_refused_event(face, state, tmp_path):
    config = write_config(tmp_path / "config.toml", replace=VIEWER_DEFAULT)
    cli = Cli(config, state)
    assert cli("status").code == 0  # the fleet exists before the service opens it
    server, where, who = None, [], "tester"
    if face == "served":
        server = InProcessServer(config, state, socket_path(tmp_path)).__enter__()
        where, who = ["--server", f"unix:{server.socket}"], getpass.getuser()
    try:
        refused = cli(*where, "failover", "enc-w1/3", "--yes")
        assert refused.code == 3, refused.err
        assert "needs" in refused.err
        lock = cli(*where, "spares", "prod-web", "--add", "enc-w1/3", "--yes")
        assert lock.code == 3, lock.err
    finally:
        if server is not None:
            server.__exit__(None, None, None)
    events = audit(cli)
    assert len(events) == 2, events  # one each, not one per layer that saw it
    assert {e["data"]["who"] for e in events} == {who}
    assert "failover" in events[0]["data"]["what"] and "enc-w1/3" in events[0]["data"]["what"]
    assert events[0]["data"]["why"] in refused.err
