"""`bayops serve` and its clients as a user meets them: what serve refuses to touch, which
store `token` writes, what a client says when the server is gone or cannot be reached."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, never_opened, run_main, write_config
from tests.serve_support import socket_path, start_server, stop_server

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """`bayops serve` as a process of its own; a client's command as its ``main`` in this
    process (its exit code, stdout and stderr as a new process gives them)."""
    if args[0] != "serve":
        done = run_main(args, env)
        return subprocess.CompletedProcess(args, done.code, done.out, done.err)
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def home(tmp_path, state):
    """(environment, config, state) for serve and its clients in ``tmp_path``."""
    config = write_config(tmp_path / "config.toml")
    env = dict(os.environ, BAYOPS_CONFIG=str(config), BAYOPS_STATE=str(state),
               BAYOPS_SITE_SOCKET=str(tmp_path / "no-site.sock"),
               BAYOPS_SITE_MARKER=str(tmp_path / "no-site-marker"))
    env.pop("BAYOPS_SERVER", None)
    return env, config, state


def test_serve_never_removes_a_file_or_folder_that_is_not_a_socket(home, tmp_path):
    env, _, _ = home
    precious = tmp_path / "precious.db"
    precious.write_text("x\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in (precious, folder):
        done = run("serve", "--socket", str(path), env=env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "not remove" in done.stderr, done.stderr
        assert "internal error" not in done.stderr
    assert precious.read_text() == "x\n" and folder.is_dir()
    missing = tmp_path / "no" / "such" / "s.sock"
    done = run("serve", "--socket", str(missing), env=env)
    assert done.returncode == 2 and "does not exist" in done.stderr, done.stderr
    assert not (tmp_path / "no").exists()


def test_serve_replaces_a_socket_left_by_a_dead_service(home, tmp_path):
    import socket

    _, config, state = home
    path = socket_path(tmp_path)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays; nobody listens
    proc = start_server(config, state, path)
    stop_server(proc)


def test_token_commands_write_only_the_store_of_the_server_in_use(home, tmp_path, make_state):
    env, config, state = home
    sock = socket_path(tmp_path, "t.sock")
    served = dict(env, BAYOPS_SERVER=f"unix:{sock}")
    other = make_state("other.db")
    proc = start_server(config, state, sock)
    try:
        made = run("token", "create", "--user", "alice", "--yes", "--json", env=served)
        assert made.returncode == 0, made.stderr
        token = json.loads(made.stdout)
        assert token["store"] == str(state)
        wrong = run("token", "revoke", str(token["id"]), "--yes", env=dict(served, BAYOPS_STATE=str(other)))
        assert wrong.returncode == 2, wrong.stderr
        assert str(state) in wrong.stderr and str(other) in wrong.stderr and "revoked" not in wrong.stdout
        assert never_opened(other)
        listed = run("token", "list", "--json", env=served)
        assert [t["valid"] for t in json.loads(listed.stdout)] == [True]
        revoked = run("token", "revoke", str(token["id"]), "--yes", env=served)
        assert revoked.returncode == 0 and f"revoked in the store {state}" in revoked.stdout
    finally:
        stop_server(proc)
    gone = run("token", "list", env=served)
    assert gone.returncode == 2 and "does not answer" in gone.stderr and "--state" in gone.stderr
    explicit = run("--state", str(state), "token", "list", "--json", env=served)
    assert explicit.returncode == 0, explicit.stderr
    assert [t["valid"] for t in json.loads(explicit.stdout)] == [False]


def test_a_site_whose_server_stopped_refuses_instead_of_a_private_store(home, tmp_path):
    env, _, state = home
    marker = tmp_path / "site-config.toml"
    marker.write_text("# the site's config\n")
    site = dict(env, BAYOPS_SITE_MARKER=str(marker))
    site.pop("BAYOPS_STATE")
    done = run("status", env=site)
    assert done.returncode == 1, done.stderr
    assert "the site's server is not running" in done.stderr and str(marker) in done.stderr
    assert not (Path(env["XDG_STATE_HOME"]) / "bayops").exists()  # no private demo store made
    private = run("--server", "none", "status", "--json", env=dict(site, BAYOPS_STATE=str(state)))
    assert private.returncode == 0, private.stderr


@pytest.mark.sqlite_only  # the lock file beside the SQLite file; on PostgreSQL a second
# service is the standby (tests/test_ha.py)
def test_a_second_service_on_the_same_store_is_refused_naming_the_first(home, tmp_path):
    env, config, state = home
    first = start_server(config, state, socket_path(tmp_path, "a.sock"))
    try:
        second = run("serve", "--socket", str(socket_path(tmp_path, "b.sock")), env=env, timeout=30)
        assert second.returncode == 3, second.stderr
        assert f"pid {first.pid}" in second.stderr and str(state) in second.stderr
        lock = state.with_name("state.db.serve.lock")
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    finally:
        stop_server(first)


SLOW = {"power_off": 0.2, "power_on": 3.0, "apply_profile": 0.5, "clear_profile": 0.2,
        "domain_config": 0.2}


def _failover_in_flight(env, config, state, tmp_path):
    """(server, its client, the `bayops failover` process, its job) with the job running."""
    from tui.client import connect
    from tui.core.config import load_config

    write_config(config, SLOW)
    sock = socket_path(tmp_path, "f.sock")
    server = start_server(config, state, sock)
    served = dict(env, BAYOPS_SERVER=f"unix:{sock}")
    client = connect(f"unix:{sock}", load_config(config))
    client.sim_fault("enc-w1/3", "critical")
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "failover", "enc-w1/3", "--yes"],
                            env=served, cwd=ROOT, stdin=subprocess.DEVNULL, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    end = time.monotonic() + 60
    while not (jobs := client.jobs(1)) or not any(
            s.name.startswith("power on") and s.state == "running" for s in jobs[0].steps):
        assert time.monotonic() < end, "the failover job did not reach its power-on step"
        time.sleep(0.05)
    return server, client, proc, jobs[0]


def test_sigterm_lets_a_running_failover_answer_its_client(home, tmp_path):
    env, config, state = home
    server, client, proc, job = _failover_in_flight(env, config, state, tmp_path)
    client.close()
    server.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert server.wait(60) == 0
    listed = run("--server", "none", "jobs", "show", str(job.id), "--json", env=env)
    assert json.loads(listed.stdout)["state"] == "done"


def test_a_client_cut_off_mid_run_follows_its_job_to_the_end(home, tmp_path):
    """SIGKILL of the service mid-failover: the client is cut off, finds its job when the
    service is back (systemd restarts it; a standby would take over) and ends as the run
    would have: exit 0 once the resumed job is done, never 'failed' for a job that was not."""
    env, config, state = home
    server, client, proc, job = _failover_in_flight(env, config, state, tmp_path)
    client.close()
    server.kill()
    server.wait(30)
    time.sleep(1.0)  # the client has lost its connection and looks for the server
    server = start_server(config, state, socket_path(tmp_path, "f.sock"))
    try:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and f"job {job.id}" in out
        assert "profile applied again" in out  # resumed at its power-on by the new process
        listed = run("--server", "none", "jobs", "show", str(job.id), "--json", env=env)
        assert json.loads(listed.stdout)["state"] == "done"
    finally:
        stop_server(server)


def test_ctrl_c_in_a_client_mid_run_says_the_job_goes_on(home, tmp_path):
    env, config, state = home
    server, client, proc, job = _failover_in_flight(env, config, state, tmp_path)
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert f"interrupted while job {job.id} ran; it continues on the server" in err
    finally:
        client.close()
        stop_server(server)


def test_errors_say_what_to_fix(home, tmp_path):
    import socket

    import httpx

    from tests.test_serve_processes import _certificates, _free_port

    env, config, state = home
    ca, cert, key = _certificates(tmp_path)
    port = _free_port()
    config.write_text(config.read_text() + f'\n[serve]\nlisten = "127.0.0.1:{port}"\n'
                      f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
    sock = socket_path(tmp_path, "m.sock")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        busy = run("serve", "--socket", str(sock), env=env, timeout=30)
    assert busy.returncode == 2, busy.stderr
    assert busy.stderr == f"bayops: address 127.0.0.1:{port} in use ([serve] listen or --listen)\n"
    assert not sock.exists()
    server = start_server(config, state, sock)
    try:
        remote = dict(env, BAYOPS_SERVER=f"https://127.0.0.1:{port}")
        untrusted = run("status", env=remote)
        assert untrusted.returncode == 1 and "server_ca" in untrusted.stderr, untrusted.stderr
        assert "bayops serve` running" not in untrusted.stderr
        plain = run("status", env=dict(remote, BAYOPS_SERVER=f"http://127.0.0.1:{port}"))
        assert plain.returncode == 2 and "use https://" in plain.stderr, plain.stderr
        token_file = tmp_path / "token"
        token_file.write_text("bayops_not-a-real-token\n")
        path = run("status", env=dict(remote, BAYOPS_CA=str(ca), BAYOPS_TOKEN=str(token_file)))
        assert path.returncode == 2, path.stderr
        assert "BAYOPS_TOKEN is the secret itself" in path.stderr and "token_file" in path.stderr
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://x") as h:
            assert "bayops_auth_failures_total 0" in h.get("/metrics").text  # not an attempt
        note = run("status", env=dict(env, BAYOPS_SERVER=f"unix:{sock}"))  # BAYOPS_STATE is set
        assert note.returncode == 0 and "BAYOPS_STATE is ignored" in note.stderr, note.stderr
    finally:
        stop_server(server)
    for expires in ("99999999d", "-5d"):
        bad = run("--server", "none", "token", "create", "--user", "alice", "--expires", expires,
                  "--yes", env=env)
        assert bad.returncode == 2 and "from 1s to 366d" in bad.stderr, bad.stderr
