"""A site as docs/deploy.md sets it up: the wheel it installs, the example site config, and
every command on the server's host finding that config without being told."""
from __future__ import annotations

import configparser
import grp
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.serve_support import socket_path, stop_server


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_the_wheel_installs_what_the_unit_and_the_docs_name(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("bayops-*.whl"))
    prefix = tmp_path / "opt-bayops"  # stands for /opt/bayops
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--prefix", str(prefix), str(wheel)], check=True, capture_output=True)
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.read(ROOT / "deploy" / "bayops.service")
    for named in (unit["Unit"]["Documentation"].removeprefix("file://"),
                  unit["Service"]["ExecStart"].split()[0]):
        assert named.startswith("/opt/bayops/"), named
        assert (prefix / named.removeprefix("/opt/bayops/")).is_file(), named
    for shipped in ("docs/site-config.toml", "docs/postgresql.md", "deploy/bayops.service"):
        assert (prefix / shipped).is_file(), shipped
    version = run("--version", env=dict(os.environ))
    assert version.returncode == 0 and version.stdout.startswith("bayops "), version


def site_config(tmp_path: Path, state: Path, sock: Path) -> Path:
    """docs/site-config.toml as it ships, with only this test's paths and group put in."""
    text = (ROOT / "docs" / "site-config.toml").read_text()
    own_group = grp.getgrgid(os.getegid()).gr_name
    for old, new in (('"/var/lib/bayops/state.db"', f'"{state}"'),
                     ('"/run/bayops/bayops.sock"', f'"{sock}"'),
                     ('"bayops-ops"', f'"{own_group}"')):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "etc-bayops" / "config.toml"
    path.parent.mkdir()
    path.write_text(text)
    return path


def test_on_the_server_host_every_command_finds_the_site_config(tmp_path):
    state, sock = tmp_path / "state.db", socket_path(tmp_path, "site.sock")
    config = site_config(tmp_path, state, sock)
    env = {k: v for k, v in os.environ.items() if k not in ("BAYOPS_CONFIG", "BAYOPS_STATE")}
    env.update(BAYOPS_SITE_MARKER=str(config), BAYOPS_SITE_SOCKET=str(sock))
    env.pop("BAYOPS_USER", None)  # who acts is the login, as on a real host
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "serve"], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        from tui.client.remote import wait_for_server

        wait_for_server(f"unix:{sock}", 30)
        made = run("token", "create", "--user", "alice", "--yes", "--json", env=env)
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["store"] == str(state)
        listed = run("token", "list", "--json", env=env)
        assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1, listed.stderr
        info = run("info", "--json", env=env)
        assert info.returncode == 0, info.stderr
        assert json.loads(info.stdout)["server_config"] == str(config)
        groups = run("status", "--json", env=env)
        assert groups.returncode == 0, groups.stderr
        assert {g["name"] for g in json.loads(groups.stdout)["groups"]} == {"prod-web", "prod-db"}
    finally:
        stop_server(proc)
