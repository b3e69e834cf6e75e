"""A PostgreSQL outage under running jobs (issue 19): one runner per job, always.

Real `bayops serve` processes on a PostgreSQL server of this module's own, stopped
(`pg_ctl stop -m immediate`, as a crash) while a job's step runs and started again after
a while. A service steps down when it cannot renew its lease, then takes it back (or the
other service does) and resumes the job. Whatever the timing: the job ends once, no step
is run by two runners at once, the store says what the hardware (the simulator) holds and
every profile is on exactly one bay. Timings are compressed (lease 2 s, database wait 6 s
where production has 5 and 30) so each outage costs seconds, not minutes.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter

import pytest

from tests.conftest import write_config
from tests.pgserver import PgServer
from tests.serve_support import socket_path, start_server, stop_server, wait_until
from tui.client import connect
from tui.core.api import Core
from tui.core.config import load_config

SLOW = {"power_off": 0.4, "power_on": 1.5, "apply_profile": 0.8, "clear_profile": 0.4,
        "domain_config": 1.5}
LEASE, DATABASE_WAIT = 2.0, 6.0
# Seconds of outage. SHORT: past the lease (the leader steps down and takes the lease back)
# but within a job's database wait (its runner is still there when the database returns).
# LONG: past the wait too (the runner gives its step up while the database is still away).
SHORT, LONG = 3.5, 8.0


@pytest.fixture(scope="module")
def pg():
    # Durable: an immediate stop (a crash) loses no committed transaction, as in production.
    server = PgServer(durable=True).start()
    yield server
    server.destroy()


@pytest.fixture
def site(tmp_path, pg):
    """start(n) -> (config, state, urls, processes) of n services on a fresh database."""
    procs: list = []

    def start(n: int):
        config = write_config(tmp_path / "config.toml", SLOW, replace={
            "spares = 3": "spares = 5", "local_boot = 0.08": "local_boot = 0.0"})
        config.write_text(config.read_text() + f"\n[serve]\nha = true\nlease_seconds = {LEASE}\n"
                          f"database_wait = {DATABASE_WAIT}\npoll_seconds = 60\n")
        state = pg.url(pg.create_database())
        sockets = [socket_path(tmp_path, f"{i}.sock") for i in range(n)]
        mine = [start_server(config, state, sock) for sock in sockets]
        procs.extend(mine)
        return config, state, ",".join(f"unix:{s}" for s in sockets), mine
    yield start
    for proc in procs:
        stop_server(proc)


def _client(urls: str, config):
    """A client of whichever service answers (the database may just be back)."""
    def attempt():
        try:
            return connect(urls, load_config(config))
        except Exception:  # every service is still stepping down or up: try again
            return None
    return wait_until(attempt, 30, "a service to answer")


def _running_step(urls: str, config, prefix: str, answers: list):
    client = _client(urls, config)

    def found():
        assert not answers, answers  # the request ended before the step ran
        for job in client.jobs(5):
            if job.state == "running" and any(
                    s.name.startswith(prefix) and s.state == "running" for s in job.steps):
                return job.id
        return None
    try:
        return wait_until(found, 60, f"a running step {prefix!r}")
    finally:
        client.close()


def _settled(urls: str, config, job_id: int):
    def ended():
        try:
            client = _client(urls, config)
            try:
                job, jobs = client.job(job_id), client.jobs(20)
            finally:
                client.close()
        except Exception:  # the answering service lost the database again meanwhile
            return None
        return job if not [j for j in (job, *jobs) if j.unfinished] else None
    try:
        return wait_until(ended, 45, f"job {job_id} to end")
    except AssertionError:
        client = _client(urls, config)
        raise AssertionError(f"job {job_id} did not end: {client.jobs(5)}") from None


def _check(config, state, job_id: int) -> None:
    """The issue's measures: once, one runner at a time, store = hardware, one bay each."""
    core = Core.open(load_config(config), state, operator="tester", read_only=True, resume=False)
    try:
        db = core.store.db
        ends = [r[0] for r in db.execute(
            "SELECT kind FROM events WHERE job = ? AND kind IN ('job.done', 'job.failed')",
            (job_id,))]
        assert ends == ["job.done"], ends
        steps = db.execute("SELECT name, state, started, finished FROM steps WHERE job = ?"
                           " ORDER BY seq", (job_id,)).fetchall()
        done = Counter(name for name, state, *_ in steps if state == "done")
        assert all(n == 1 for n in done.values()), steps  # no step done twice
        for i, (name, _, _, finished) in enumerate(steps):
            assert finished is not None, steps
            for other, _, started2, _finished2 in steps[i + 1:]:
                if other == name:  # run again only after the first runner left it
                    assert started2 >= finished, steps
        hardware = core.driver.applied_profiles()
        stored = {bay: name for name, bay in db.execute(
            "SELECT name, bay FROM profiles WHERE bay IS NOT NULL")}
        assert stored == hardware, "the store and the hardware disagree on placements"
        assert all(n == 1 for n in Counter(hardware.values()).values()), hardware
        assert db.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
    finally:
        core.close()


def _failover(client) -> object:
    client.sim_fault("enc-w1/3", "critical")
    return lambda: client.failover("enc-w1/3", force=True)


def _move(client) -> object:
    spare = next(b.id for b in client.bays() if b.spare and b.group == "prod-web")
    profile = next(b.profile for b in client.bays() if b.profile and b.group == "prod-web")
    client.spares("prod-web", [], [spare])
    return lambda: client.move(profile, spare)


def _failback(client) -> object:
    client.sim_fault("enc-w1/3", "critical")
    job = client.failover("enc-w1/3", force=True)
    client.sim_fault("enc-w1/3", None)
    return lambda: client.failback(job.params.profile)


def _evacuate(client) -> object:
    return lambda: client.evacuate("enc-w5", force=True)


def _complete(client) -> object:
    client.maintenance_start("web-dom2", "outage test")
    client.domain_set("web-dom2", "firmware", "4.70")
    return lambda: client.maintenance_complete("web-dom2")


@pytest.mark.parametrize(("operation", "step", "services", "outage"), [
    pytest.param(_failover, "power on", 1, SHORT, id="failover-power-on-one-service-short"),
    pytest.param(_failover, "power on", 1, LONG, id="failover-power-on-one-service-long"),
    pytest.param(_failover, "power on", 2, SHORT, id="failover-power-on-two-services-short"),
    pytest.param(_failover, "apply profile", 2, LONG, id="failover-apply-two-services-long"),
    pytest.param(_failover, "power off", 1, SHORT, id="failover-power-off-one-service-short"),
    pytest.param(_move, "apply profile", 1, SHORT, id="move-apply-one-service-short"),
    pytest.param(_failback, "power on", 1, SHORT, id="failback-power-on-one-service-short"),
    pytest.param(_evacuate, "power on", 1, SHORT, id="evacuate-power-on-one-service-short"),
    pytest.param(_complete, "apply to", 1, SHORT, id="maintenance-complete-one-service-short"),
])
def test_an_outage_mid_job_leaves_one_runner_and_the_hardware_as_stored(
        site, pg, operation, step, services, outage):
    config, state, urls, _ = site(services)
    client = _client(urls, config)
    run = operation(client)
    answers: list = []

    def request():
        try:
            answers.append(run())
        except Exception as exc:  # the answer a client gets is the subject of another test
            answers.append(exc)
    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    job_id = _running_step(urls, config, step, answers)
    pg.stop("immediate")
    time.sleep(outage)
    pg.start_again()
    job = _settled(urls, config, job_id)
    thread.join(60)
    assert job.state == "done", (job.state, [(s.name, s.state, s.detail) for s in job.steps])
    _check(config, state, job_id)


def test_verify_tells_ids_a_crash_skipped_from_a_deleted_event(tmp_path, pg):
    """PostgreSQL caches sequence values: after a crash (immediate stop) the next event's
    seq jumps ~32 ahead. That is no missing event; an event deleted behind the triggers'
    back is, and so is a deleted job whose events remain."""
    from tests.conftest import Cli

    config = write_config(tmp_path / "config.toml")
    state = pg.url(pg.create_database())
    core = Core.open(load_config(config), state, operator="tester")
    try:
        core.sim_fault("enc-w1/3", "critical")
        _, before, _ = core.store.event_bounds()
        core.close()
        pg.stop("immediate")
        pg.start_again()
        core.sim_fault("enc-w1/3", None)  # events and a job after the crash
        _, after, _ = core.store.event_bounds()
        gaps = core.store.event_gaps()
        assert gaps and all(skipped for *_, skipped in gaps), (before, after, gaps)
        cli = Cli(config, state)
        verified = cli("events", "verify", "--json")
        assert verified.code == 0 and verified.json["live"]["skipped_ids"] > 0, verified
        assert "sequences skipped, no event missing" in cli("events", "verify").out

        victim = core.store.events(0, 1000)[1].seq
        raw = core.store.backend.connect()  # someone with the database's keys, triggers off
        raw.execute("SET session_replication_role = replica")
        raw.execute("DELETE FROM events WHERE seq = ?", (victim,))
        raw.close()
        broken = cli("events", "verify")
        assert broken.code == 1 and f"events {victim}..{victim} missing" in broken.out, broken
    finally:
        core.close()


class Hang:
    """Every database backend of one process stopped (SIGSTOP), new ones too, until
    ``release``: its connections hang without an error, as behind a silent network."""

    def __init__(self, pg, pid: int) -> None:
        self.pg, self.name, self.stopped = pg, f"bayops {pid}", set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.pg.admin() as admin:
            while not self.done.is_set():
                # Idle ones (between transactions): a backend stopped inside one would hold
                # the site's write lock, which no service could take over from.
                for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE"
                                            " application_name = %s AND state = 'idle'",
                                            (self.name,)):
                    if pid not in self.stopped:
                        os.kill(pid, signal.SIGSTOP)
                        state = admin.execute("SELECT state FROM pg_stat_activity WHERE pid = %s",
                                              (pid,)).fetchone()
                        if state and state[0] != "idle":  # it began one meanwhile: later
                            os.kill(pid, signal.SIGCONT)
                        else:
                            self.stopped.add(pid)
                time.sleep(0.02)

    def release(self) -> None:
        self.done.set()
        self.thread.join(5)
        for pid in self.stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def test_a_leader_whose_database_hangs_steps_down_and_clients_move(site, pg):
    """No error, no answer: the leader cannot renew within its lease, so it stops leading
    (by its own clock), answers changes with 503 not-leader, and a client of both moves
    to the standby, which takes the lease once it ran out."""
    import httpx

    config, _, urls, (leader, _) = site(2)
    first, second = urls.split(",")
    client = connect(urls, load_config(config))
    assert client.url == first
    hang = Hang(pg, leader.pid)
    began = time.monotonic()
    try:
        def refused():
            with httpx.Client(base_url="http://bayops", timeout=10, transport=httpx.HTTPTransport(
                    uds=first.removeprefix("unix:"))) as http:
                # not the fault asked below: one the leader took before it hung would make
                # that one a refused no-change
                answer = http.post("/v1/run/sim_fault", json={"bay": "enc-w1/3",
                                                             "fault": "cpu-threshold"})
            return answer.status_code == 503 and answer.json()["code"] == "not-leader"
        wait_until(refused, 10, "the hung leader to answer not-leader")
        stepped = time.monotonic() - began
        assert stepped < LEASE * 1.5, stepped  # within its lease (and one renewal's wait)
        client.sim_fault("enc-w1/3", "critical")  # moves to the standby, which now leads
        moved = time.monotonic() - began
        assert client.url == second
        assert next(b for b in client.bays() if b.id == "enc-w1/3").health == "critical"
    finally:
        hang.release()
    print(f"hung leader answered not-leader after {stepped:.2f} s, the change landed on the "
          f"standby after {moved:.2f} s (lease {LEASE} s)")


def test_a_client_whose_leader_stopped_mid_job_reports_the_job_the_standby_finished(site, pg):
    """The leader is frozen (SIGSTOP) while a failover's power-on runs; the standby takes
    the lease and finishes the job; the leader, thawed, finds it no longer leads and
    answers job-goes-on. The client (`bayops failover` of both services) follows the job
    to its end on the standby: exit 0, never "server answered 500"."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    config, state, urls, (leader, _) = site(2)
    client = _client(urls, config)
    client.sim_fault("enc-w1/3", "critical")
    client.close()
    env = dict(os.environ, BAYOPS_CONFIG=str(config), BAYOPS_SERVER=urls)
    for var in ("BAYOPS_STATE", "BAYOPS_USER"):
        env.pop(var, None)
    cli = subprocess.Popen([sys.executable, "-m", "tui.cli", "failover", "enc-w1/3", "--force",
                            "--yes"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        job_id = _running_step(urls, config, "power on", [])
        os.kill(leader.pid, signal.SIGSTOP)
        began = time.monotonic()
        try:
            job = _settled(urls.split(",")[1], config, job_id)  # the standby alone
        finally:
            os.kill(leader.pid, signal.SIGCONT)
        finished = time.monotonic() - began
        out, err = cli.communicate(timeout=90)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert job.state == "done", [(s.name, s.state, s.detail) for s in job.steps]
    assert cli.returncode == 0, (out, err)
    assert "500" not in err and "internal error" not in err, err
    _check(config, state, job_id)
    core = Core.open(load_config(config), state, operator="tester", read_only=True, resume=False)
    try:  # the standby resumed it: the answer the client followed was not the leader's own
        kinds = [r[0] for r in core.store.db.execute(
            "SELECT kind FROM events WHERE job = ? OR source = ?", (job_id, f"job:{job_id}"))]
    finally:
        core.close()
    assert "job.resumed" in kinds or "server.resumed" in kinds, kinds
    print(f"the standby finished job {job_id} {finished:.1f} s after the leader froze; the "
          f"client said: {out.strip()[:160]!r}")
