"""A site as docs/deploy.md sets it up: the wheel it installs, the example site config, and
every command on the server's host finding that config without being told."""
from __future__ import annotations

import configparser
import grp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_config
from tests.serve_support import socket_path, start_server, stop_server
from tests.test_serve_processes import reachable_checkout, viewer_user  # noqa: F401 (fixtures)


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_the_wheel_installs_what_the_unit_and_the_docs_name(tmp_path, wheel):
    prefix = tmp_path / "opt-bayops"  # stands for /opt/bayops
    # --ignore-installed: leave the checkout's own (editable) install in place
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--ignore-installed", "--prefix", str(prefix), str(wheel)],
                   check=True, capture_output=True)
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
    env.update(BAYOPS_SITE_MARKER=str(config))
    env.pop("BAYOPS_SITE_SOCKET")  # the socket is the one the site config names
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


# -- the errors an administrator meets setting a site up: one line, the cause and the fix ----
@pytest.mark.usefixtures("reachable_checkout")
def test_a_socket_the_user_may_not_open_names_the_group_not_a_stopped_server(tmp_path, request):
    name, group = request.getfixturevalue("viewer_user")  # a second OS user: root only
    shared = Path(tempfile.mkdtemp(prefix="bayops-site-"))
    try:
        shared.chmod(0o755)
        (shared / "home").mkdir(mode=0o777)
        (shared / "home").chmod(0o777)
        config = write_config(shared / "config.toml")
        config.chmod(0o644)
        with config.open("a") as f:
            f.write('\n[serve]\nsocket_group = "root"\n')  # the viewer is not in it
        sock = shared / "bayops.sock"
        server = start_server(config, tmp_path / "state.db", sock)
        env = {**os.environ, "HOME": str(shared / "home"), "XDG_CONFIG_HOME": str(shared / "home"),
               "XDG_STATE_HOME": str(shared / "home"), "PYTHONPATH": str(ROOT)}
        as_viewer = ["setpriv", f"--reuid={name}", f"--regid={group}", "--init-groups",
                     sys.executable, "-m", "tui.cli"]
        try:
            looked = subprocess.run([*as_viewer, "--server", f"unix:{sock}", "status"], env=env,
                                    cwd=shared, capture_output=True, text=True, timeout=60)
        finally:
            stop_server(server)
        assert looked.returncode == 3, looked.stderr
        assert looked.stderr.count("\n") == 1 and "not running" not in looked.stderr
        assert f"{name} is not in root" in looked.stderr
        assert f"usermod -aG root {name}" in looked.stderr
        # the same config, served by a user who is not in socket_group
        served = subprocess.run([*as_viewer, "--config", str(config), "--state",
                                 str(shared / "home" / "s.db"), "serve", "--socket",
                                 str(shared / "v.sock")], env=env, cwd=shared, capture_output=True,
                                text=True, timeout=60)
        assert served.returncode == 2, served.stderr
        assert served.stderr.count("\n") == 1 and "internal error" not in served.stderr
        assert f"usermod -aG root {name}" in served.stderr and "SupplementaryGroups=root" in served.stderr
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_server_ca_and_token_file_expand_the_home_and_a_missing_one_says_what_to_put_there(tmp_path):
    home = Path(os.environ["HOME"])
    config = write_config(tmp_path / "client.toml", replace={
        "[bayops]\n": '[bayops]\nserver = "https://127.0.0.1:9"\n'
                      'server_ca = "~/.config/bayops/site-ca.pem"\n'})
    env = {k: v for k, v in os.environ.items() if k not in ("BAYOPS_SERVER", "BAYOPS_CA")}
    env["BAYOPS_CONFIG"] = str(config)
    missing = run("status", env=env)
    assert missing.returncode == 2, missing.stderr
    assert missing.stderr.count("\n") == 1 and "internal error" not in missing.stderr
    assert f"{home}/.config/bayops/site-ca.pem: no such file" in missing.stderr
    assert "/etc/bayops/tls/ca.pem" in missing.stderr
    (home / ".config" / "bayops").mkdir(parents=True)
    (home / ".config" / "bayops" / "site-ca.pem").write_text("not a certificate\n")
    garbage = run("status", env=env)
    assert garbage.returncode == 2 and "not a PEM CA certificate" in garbage.stderr, garbage.stderr
    ca = home / ".config" / "bayops" / "site-ca.pem"
    ca.write_text(certifi_pem())
    reached = run("status", env=env)  # the CA is read; nothing answers on port 9
    assert reached.returncode == 1 and "server-ca" not in reached.stderr, reached.stderr
    assert "https://127.0.0.1:9" in reached.stderr

    token = home / ".config" / "bayops" / "token"
    token.write_bytes(b"\xff\xfe binary, not the secret\n")  # unreadable as text, as one not ours
    config.write_text(config.read_text().replace(
        'server_ca = "~/.config/bayops/site-ca.pem"\n',
        'server_ca = "~/.config/bayops/site-ca.pem"\ntoken_file = "~/.config/bayops/token"\n'))
    unreadable = run("status", env=env)
    assert unreadable.returncode == 2, unreadable.stderr
    assert unreadable.stderr.count("\n") == 1 and "internal error" not in unreadable.stderr
    assert f"token_file {token}: cannot read it" in unreadable.stderr


def certifi_pem() -> str:
    import certifi

    return Path(certifi.where()).read_text()


def test_a_server_list_says_why_each_server_was_passed_over(tmp_path, monkeypatch):
    from tests.conftest import Cli
    from tests.test_serve_processes import _certificates, _free_port

    _, cert, key = _certificates(tmp_path)
    port = _free_port()
    config = write_config(tmp_path / "config.toml")
    with config.open("a") as f:
        f.write(f'\n[serve]\nlisten = "127.0.0.1:{port}"\ntls_cert = "{cert}"\ntls_key = "{key}"\n')
    # the client looks for a leader this long before it says why none would do (20 s, for
    # a standby taking over): each server is tried in the first second
    monkeypatch.setattr("tui.client.remote.MOVE_SECONDS", 1.0)
    for name in ("BAYOPS_CA", "BAYOPS_SERVER"):
        monkeypatch.delenv(name, raising=False)
    server = start_server(config, tmp_path / "state.db", socket_path(tmp_path))
    try:  # it leads, but its certificate is not trusted here (no server_ca)
        listed = Cli(config, tmp_path / "client.db")(
            "--server", f"https://127.0.0.1:{port},unix:{tmp_path}/gone.sock", "status")
        # a list of servers none of which is trusted: said at once, not after the search
        monkeypatch.setattr("tui.client.remote.MOVE_SECONDS", 30.0)
        began = time.monotonic()
        untrusted = Cli(config, tmp_path / "client.db")(
            "--server", f"https://127.0.0.1:{port},https://localhost:{port}", "status")
        took = time.monotonic() - began
    finally:
        stop_server(server)
    assert untrusted.code == 1, untrusted.err
    assert untrusted.err.count("certificate is not trusted") == 2, untrusted.err
    assert took < 10, f"{took:.1f} s to say no server is trusted"
    assert listed.code == 1, listed.err
    assert listed.err.count("\n") == 1
    assert f"https://127.0.0.1:{port}: the server's TLS certificate is not trusted; set server_ca" \
        in listed.err
    assert f"unix:{tmp_path}/gone.sock: is `bayops serve` running?" in listed.err
