"""Active/standby `bayops serve` on one PostgreSQL database: one leader at a time, the
standby sends clients to it, and when the leader is SIGKILLed mid-failover the standby
takes the lease, resumes the job, and the profile ends on exactly one bay; the old
leader, restarted, is the standby. A leader that cannot reach the database stops acting."""
from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import pytest

from tests.conftest import write_config
from tests.serve_support import socket_path, start_server, stop_server, wait_until
from tui.client import connect
from tui.core.config import load_config
from tui.model.errors import Refused

SLOW = {"power_off": 0.2, "power_on": 3.0, "apply_profile": 0.5, "clear_profile": 0.2,
        "domain_config": 0.2}
LEASE = 3.0  # seconds: a dead leader is replaced within this and a renewal


@pytest.fixture
def pair(tmp_path, pg_server):
    """Two services on one PostgreSQL database: (config, urls, start(i), procs)."""
    config = write_config(tmp_path / "config.toml", SLOW)
    config.write_text(config.read_text() + f"\n[serve]\nha = true\nlease_seconds = {LEASE}\n")
    state = pg_server.url(pg_server.create_database())
    sockets = [socket_path(tmp_path, "a.sock"), socket_path(tmp_path, "b.sock")]
    procs: dict[int, object] = {}

    def start(i: int):
        procs[i] = start_server(config, state, sockets[i])
        return procs[i]
    yield config, [f"unix:{s}" for s in sockets], start, procs
    for proc in procs.values():
        stop_server(proc)


def info(url: str, config) -> dict:
    client = connect(url, load_config(config))
    try:
        return client.server_info()
    finally:
        client.close()


def test_the_standby_takes_over_a_killed_leader_mid_failover(pair):
    config, urls, start, _ = pair
    leader = start(0)
    assert wait_until(lambda: info(urls[0], config)["role"] == "leader", 10, "a leader")
    start(1)
    assert info(urls[1], config)["role"] == "standby"
    assert info(urls[1], config)["leader"] == urls[0]

    # A client of the standby alone is told where the leader is, and changes nothing.
    standby_only = connect(urls[1], load_config(config))
    with pytest.raises(Refused, match="standby") as refused:
        standby_only.sim_fault("enc-w1/3", "critical")
    assert refused.value.code == "not-leader" and urls[0] in refused.value.hint
    standby_only.close()

    both = ",".join(urls)  # a client given the list uses the leader
    client = connect(both, load_config(config))
    assert client.url == urls[0]
    client.sim_fault("enc-w1/3", "critical")
    runner = threading.Thread(target=lambda: _quietly(client.failover, "enc-w1/3"), daemon=True)
    runner.start()
    watcher = connect(both, load_config(config))
    wait_until(lambda: any(s.name.startswith("power on") and s.state == "running"
                           for j in watcher.jobs(5) for s in j.steps), 30, "the power-on step")
    leader.send_signal(signal.SIGKILL)
    leader.wait()
    killed = time.monotonic()

    after = connect(both, load_config(config))  # finds the new leader
    assert after.url == urls[1]
    took = wait_until(lambda: info(urls[1], config)["role"] == "leader" and time.monotonic() - killed,
                      10, "the standby to take the lease")
    assert took < 10
    job = wait_until(lambda: not (j := after.jobs(5)[0]).unfinished and j, 30, "the job resumed")
    assert job.state == "done"
    assert any(e.kind == "job.resumed" for e in after.events(0, 500))
    holders = [b.id for b in after.bays() if b.profile == "web-003"]
    assert len(holders) == 1 and holders != ["enc-w1/3"]
    placements = {b.id: b.profile for b in after.bays() if b.profile}
    assert Counter(placements.values()).most_common(1)[0][1] == 1  # every profile on one bay

    # The old leader, restarted, is the standby; a client of both still changes things.
    start(0)
    assert info(urls[0], config)["role"] == "standby"
    client = connect(f"{urls[0]},{urls[1]}", load_config(config))
    assert client.url == urls[1]
    client.sim_fault("enc-w1/3", None)
    print(f"takeover after SIGKILL: {took:.2f} s (lease {LEASE} s)")


def _quietly(function, *args):
    try:
        function(*args)
    except Exception:  # the server was killed under it
        return


def test_a_leader_cut_off_from_the_database_stops_acting(tmp_path, pg_server):
    """A partition between the leader and the database: the leader stops leading when its
    lease cannot be renewed, the standby takes over; mended, the old leader stays standby."""
    from tests.pgserver import Partition

    config = write_config(tmp_path / "config.toml")
    config.write_text(config.read_text() + f"\n[serve]\nha = true\nlease_seconds = {LEASE}\n")
    database = pg_server.create_database()
    partition = Partition(pg_server)
    sockets = [socket_path(tmp_path, "a.sock"), socket_path(tmp_path, "b.sock")]
    urls = [f"unix:{s}" for s in sockets]
    a = start_server(config, partition.url(database), sockets[0])
    try:
        assert wait_until(lambda: info(urls[0], config)["role"] == "leader", 10, "a leader")
        b = start_server(config, pg_server.url(database), sockets[1])
        try:
            assert info(urls[1], config)["role"] == "standby"
            partition.cut()
            cut = time.monotonic()
            wait_until(lambda: info(urls[1], config)["role"] == "leader", 15, "the standby to lead")
            print(f"standby leads {time.monotonic() - cut:.2f} s after the partition")
            partition.mend()
            time.sleep(LEASE)  # the old leader can reach the database again...
            assert info(urls[0], config)["role"] == "standby"  # ...and does not take back
            assert info(urls[0], config)["leader"] == urls[1]
        finally:
            stop_server(b)
    finally:
        err = stop_server(a)
    assert "stopped leading: the lease could not be renewed" in err, err


def test_a_database_restart_under_a_running_service_loses_no_job(tmp_path):
    """The database restarts during a failover's power-on: the service waits for it at
    the job's next write, and the job ends done with the profile on one bay."""
    from tests.pgserver import PgServer

    server = PgServer().start()
    try:
        config = write_config(tmp_path / "config.toml", SLOW)
        sock = socket_path(tmp_path, "s.sock")
        proc = start_server(config, server.url(server.create_database()), sock)
        try:
            client = connect(f"unix:{sock}", load_config(config))
            client.sim_fault("enc-w1/3", "critical")
            done: list = []
            runner = threading.Thread(target=lambda: done.append(client.failover("enc-w1/3")),
                                      daemon=True)
            runner.start()
            watcher = connect(f"unix:{sock}", load_config(config))
            wait_until(lambda: any(s.name.startswith("power on") and s.state == "running"
                                   for j in watcher.jobs(5) for s in j.steps), 30, "power-on")
            server.restart()
            runner.join(60)
            assert done and done[0].state == "done", done
            after = connect(f"unix:{sock}", load_config(config))
            assert [b.id for b in after.bays() if b.profile == "web-003"] != ["enc-w1/3"]
            assert len([b for b in after.bays() if b.profile == "web-003"]) == 1
            assert not [j for j in after.jobs(5) if j.unfinished]
        finally:
            stop_server(proc)
    finally:
        server.destroy()


def leader_metric(socket) -> str:
    import httpx

    with httpx.Client(base_url="http://bayops", transport=httpx.HTTPTransport(uds=str(socket))) as h:
        return next(line for line in h.get("/metrics").text.splitlines()
                    if line.startswith("bayops_leader "))


def test_two_services_on_one_database_never_both_act_even_without_ha(tmp_path, pg_server):
    """A database is shared by design: without `[serve] ha` a second service on it is still
    a standby, never a second poller and job runner."""
    config = write_config(tmp_path / "config.toml", SLOW)
    config.write_text(config.read_text() + f"\n[serve]\nlease_seconds = {LEASE}\n")
    state = pg_server.url(pg_server.create_database())
    sockets = [socket_path(tmp_path, "a.sock"), socket_path(tmp_path, "b.sock")]
    procs = [start_server(config, state, sockets[0])]
    try:
        assert wait_until(lambda: info(f"unix:{sockets[0]}", config)["role"] == "leader", 10, "a leader")
        procs.append(start_server(config, state, sockets[1]))
        assert info(f"unix:{sockets[1]}", config)["role"] == "standby"
        # what an alert rule for "no leader" (or two) reads from both: they sum to one
        assert [leader_metric(s) for s in sockets] == ["bayops_leader 1", "bayops_leader 0"]
    finally:
        for proc in procs:
            stop_server(proc)


def test_an_attacker_taking_turns_between_the_services_meets_one_limit(tmp_path, pg_server):
    """Failed token attempts are counted in the database: a guesser who alternates between
    the leader and the standby is held to the same five tries a minute as against one."""
    import ssl

    import httpx

    from tests.test_serve_processes import _certificates, _free_port
    from tui.server.auth import FAILURES_ALLOWED

    ca, cert, key = _certificates(tmp_path)
    config = write_config(tmp_path / "config.toml")
    config.write_text(config.read_text() + f'\n[serve]\ntls_cert = "{cert}"\ntls_key = "{key}"\n')
    state = pg_server.url(pg_server.create_database())
    ports = [_free_port(), _free_port()]
    procs = []
    try:
        for i, port in enumerate(ports):
            procs.append(start_server(config, state, socket_path(tmp_path, f"{i}.sock"),
                                      "--listen", f"127.0.0.1:{port}"))
        trust = ssl.create_default_context(cafile=str(ca))
        answers = []
        for attempt in range(FAILURES_ALLOWED + 2):
            port = ports[attempt % 2]
            answer = httpx.get(f"https://127.0.0.1:{port}/v1/info", verify=trust,
                               headers={"Authorization": "Bearer bayops_guess"})
            answers.append(answer.status_code)
        assert answers == [401] * FAILURES_ALLOWED + [429, 429]
    finally:
        for proc in procs:
            stop_server(proc)


def test_info_says_leader_or_standby_and_each_service_logs_its_lease_changes(pair, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    config, urls, start, procs = pair
    first = start(0)
    wait_until(lambda: info(urls[0], config)["role"] == "leader", 10, "a leader")
    second = start(1)

    def bayops_info(url: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "BAYOPS_STATE"}
        done = subprocess.run([sys.executable, "-m", "tui.cli", "--server", url, "info"],
                              env=dict(env, BAYOPS_CONFIG=str(config)), cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return next(line for line in done.stdout.splitlines() if line.startswith("server_role"))
    epoch = info(urls[0], config)["epoch"]
    assert bayops_info(urls[0]).split(None, 1)[1] == f"leader, lease epoch {epoch}"
    assert bayops_info(urls[1]).split(None, 1)[1] == f"standby, leader {urls[0]}, lease epoch {epoch}"
    first_log = stop_server(first)  # SIGTERM: it lets go of the lease
    assert f"leads (lease epoch {epoch}) at {urls[0]}" in first_log
    wait_until(lambda: info(urls[1], config)["role"] == "leader", 10, "the standby to lead")
    assert bayops_info(urls[1]).split(None, 1)[1] == f"leader, lease epoch {epoch + 1}"
    second_log = stop_server(second)
    procs.clear()
    assert f"leads (lease epoch {epoch + 1}) at {urls[1]}" in second_log
