"""Notes, a bay's story and the hand-over through a real `bayops serve` (issue 21): the
operator is the socket's peer, writing a note needs the operator role, a viewer reads."""
from __future__ import annotations

import getpass
import json
import os
import subprocess

import pytest

from tests.conftest import run_main, write_config
from tests.serve_support import socket_path, start_server, stop_server
from tui.core.api import Core
from tui.core.config import load_config

pytestmark = pytest.mark.both_stores
ME = getpass.getuser()


def client(sock, config, *args: str) -> subprocess.CompletedProcess:
    """A client's command as its main in this process (the server knows it by the
    socket's peer, this test's own user)."""
    env = dict(os.environ, BAYOPS_CONFIG=str(config), BAYOPS_SERVER=f"unix:{sock}",
               BAYOPS_USER="mallory")  # only labels who acts embedded: the server ignores it
    done = run_main(args, env)
    return subprocess.CompletedProcess(args, done.code, done.out, done.err)


@pytest.fixture
def serve(tmp_path, state):
    started = []

    def start(replace: dict[str, str] | None = None):
        config = write_config(tmp_path / "config.toml", replace=replace)
        sock = socket_path(tmp_path)
        started.append(start_server(config, state, sock))
        return sock, config
    yield start
    for proc in started:
        stop_server(proc)


def test_a_note_written_through_the_service_is_the_peers_and_shows_in_the_story(serve):
    sock, config = serve()
    done = client(sock, config, "note", "enc-w1/4", "swap PSU 2 [bold]tonight[/bold]", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["by"] == ME
    story = json.loads(client(sock, config, "bay", "enc-w1/4", "--json").stdout)
    assert story["bay"]["note"] == "swap PSU 2 [bold]tonight[/bold]" and story["bay"]["note_by"] == ME
    assert story["notes"][0]["by"] == ME and story["events"][0]["kind"] == "bay.note"
    first = json.loads(client(sock, config, "handover", "--json").stdout)
    assert first["operator"] == ME and first["notes"][0]["text"].startswith("swap PSU 2")
    again = json.loads(client(sock, config, "handover", "--json").stdout)
    assert again["origin"] == "last-look" and again["since"] == first["until"]


def test_a_viewer_reads_the_story_and_the_handover_but_leaves_no_note(serve, state, fast_config):
    embedded = Core.open(load_config(fast_config), str(state), operator="alice")
    embedded.note_bay("enc-w1/4", "alice was here")
    embedded.close()
    sock, config = serve({'default = "admin"\n': 'default = "viewer"\n'})
    refused = client(sock, config, "note", "enc-w1/4", "mine", "--json")
    assert refused.returncode == 3 and "note needs operator" in json.loads(refused.stdout)["error"]
    story = client(sock, config, "bay", "enc-w1/4")
    assert story.returncode == 0 and "note: alice was here (alice" in story.stdout
    shown = client(sock, config, "handover", "--since", "1h")
    assert shown.returncode == 0 and "alice: alice was here" in shown.stdout
