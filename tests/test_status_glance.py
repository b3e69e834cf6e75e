"""`bayops status` answered from one SQL glance (issue 22): the same bytes as the long way
(the Core and its FleetView) on the same fleet, and the long way whenever a start has
more to do than read: a config not known valid, a job to resume, --read-only, a name to
refuse. tests/test_core.py checks the glance's figures against the view's; this module
checks what the operator sees."""
from __future__ import annotations

import os
import stat
import subprocess
import types
from pathlib import Path

import pytest

from tui.cli import fleet
from tui.core.config import load_config
from tui.model.errors import BadInput

NOW = 1_900_000_000.0  # both ways print the same maintenance times

VIEWS = [(), ("--json",), ("--group", "prod-web"), ("--domain", "web-dom1"),
         ("--json", "--group", "prod-web", "--domain", "web-dom1")]


@pytest.fixture
def ways(cli, monkeypatch):
    """``ways(*args)``: (the long way's Result, the glance's), the glance seen to answer."""
    monkeypatch.setattr(fleet, "time", types.SimpleNamespace(time=lambda: NOW))
    glance = fleet._glance

    def run(*args: str):
        monkeypatch.setattr(fleet, "_glance", lambda a: None)
        long = cli("status", *args)  # also records the config as valid
        answered = []
        monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[0])
        short = cli("status", *args)
        assert answered == [0], (args, short.err)
        return long, short
    return run


@pytest.fixture
def core(cli):
    from tui.core.api import Core

    c = Core.open(load_config(cli.config), str(cli.state), operator="tester")
    yield c
    c.close()


def same_both_ways(ways) -> None:
    for args in VIEWS:
        long, short = ways(*args)
        assert (short.code, short.out, short.err) == (long.code, long.out, long.err), args


def test_the_demo_fleet(ways):
    same_both_ways(ways)


def test_failures_acks_and_a_running_job(ways, core):
    """Critical and warning bays, an acknowledgement, a job another live process runs."""
    web = [b.id for b in core.store.bays(group="prod-web") if b.profile and b.boot_mode == "san"]
    db = next(b.id for b in core.store.bays(group="prod-db") if not b.empty)
    for bay, fault in ((web[0], "critical"), (web[-1], "critical"), (db, "memory-errors")):
        core.sim_fault(bay, fault)
    core.ack([web[0]], "seen")
    plan = core.plan_failover(web[-1])
    runner = subprocess.Popen(["sleep", "60"])
    try:
        with core.store.write() as db:
            job = core.store.create_job("tester", plan.summary, plan.params, plan.locks)
            db.execute("UPDATE jobs SET pid = ?, process = NULL WHERE id = ?", (runner.pid, job))
        long, _ = ways("--json")
        assert sum(g["running_jobs"] for g in long.json["groups"]) == 1
        same_both_ways(ways)
    finally:
        runner.kill()
        runner.wait()


def test_a_job_holding_a_domain_keeps_its_spares_out_of_both_ways(ways, core):
    """A complete propagating to web-dom1 (another live process runs it): no failover takes
    web-dom1's spares, so neither way counts them ready."""
    from tui.core.ops.coverage import ready
    from tui.model.params import DomainSetParams

    held = sum(ready(b) for b in core.store.bays(domain="web-dom1"))
    first, _ = ways("--json")
    runner = subprocess.Popen(["sleep", "60"])
    try:
        with core.store.write() as db:
            job = core.store.create_job("tester", "complete in flight", DomainSetParams(
                group="prod-web", domain="web-dom1", key="k", value="v"), ("domain:web-dom1",))
            db.execute("UPDATE jobs SET pid = ?, process = NULL WHERE id = ?", (runner.pid, job))
        long, _ = ways("--json")
        spares = {g["name"]: g["spares_ready"] for g in long.json["groups"]}
        assert held and spares["prod-web"] == next(
            g["spares_ready"] for g in first.json["groups"] if g["name"] == "prod-web") - held
        same_both_ways(ways)
    finally:
        runner.kill()
        runner.wait()


def test_maintenance_drift_and_an_expired_lock(ways, core):
    from tui.model.entities import Maintenance

    store = core.store
    store.start_maintenance(Maintenance("web-dom1", "prod-web", "alice\x1b[31m", "swap\nfans",
                                        NOW - 600, NOW + 3600))
    store.start_maintenance(Maintenance("db-dom1", "prod-db", "bob", "firmware", NOW - 7200,
                                        NOW - 60))
    record = store.domain("web-dom1")
    store.set_domain_config(record.name, record.config.__class__(
        **{**record.config.__dict__, "firmware": "9.9"}))
    long, _ = ways()
    assert "EXPIRED" in long.out and "left:" in long.out and "\x1b" not in long.out
    same_both_ways(ways)


def test_a_drained_enclosure_with_profiles_left(ways, core):
    from tui.model.params import FailoverParams

    store = core.store
    claim = store.new_claim(None)
    job = store.create_job("tester", "evacuate enc-w2",
                           FailoverParams("prod-web", "enc-w2/1", "p", None, "test"), (), claim)
    store.finish_job(job, "done", claim)
    store.set_drained("enc-w2", job)
    long, _ = ways("--json")
    [drained] = long.json["drained"]
    assert drained["enclosure"] == "enc-w2" and drained["live"]
    same_both_ways(ways)


def test_an_interrupted_job_takes_the_long_way_and_is_resumed(cli, core, monkeypatch):
    """A job this process journaled and no runner runs: the start resumes it and says so."""
    cli("status")  # the config is known valid from here on
    bay = next(b.id for b in core.store.bays(group="prod-web") if b.profile and b.boot_mode == "san")
    core.sim_fault(bay, "critical")
    plan = core.plan_failover(bay)
    with core.store.write():
        core.store.create_job("tester", plan.summary, plan.params, plan.locks)
    glance = fleet._glance
    answered = []
    monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[-1])
    result = cli("status")
    assert answered == [None] and result.code == 0
    assert "bayops: resumed interrupted job" in result.err
    cli("status")
    assert answered[1] == 0  # nothing left to resume: the glance answers


@pytest.mark.parametrize(("before", "after", "code"), [
    (("--read-only",), (), 0), ((), ("--group", "nope"), 2), ((), ("--domain", "nope"), 2)])
def test_what_the_glance_leaves_to_the_long_way(cli, monkeypatch, before, after, code):
    cli("status")
    glance = fleet._glance
    answered = []
    monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[0])
    result = cli(*before, "status", *after)
    assert answered == [None]
    assert result.code == code, result.err


def test_a_config_changed_since_it_was_found_valid_is_read_again(cli, monkeypatch):
    """Only the bytes that were found valid skip the reading: an edit is checked, and a
    bad one refused as `load_config` words it, every time."""
    assert cli("status").code == 0
    record = Path(os.environ["XDG_CACHE_HOME"]) / "bayops" / "config-valid"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600  # a copy of the config: private
    good = cli.config.read_text()
    cli.config.write_text(good.replace("[bayops]", "[bayops]\nlease_hours = -1", 1))
    with pytest.raises(BadInput) as refused:
        load_config(cli.config)
    for _ in range(2):
        result = cli("status")
        assert (result.code, result.out, result.err) == (2, "", f"bayops: {refused.value}\n")
    cli.config.write_text(good.replace('theme = "dark"', 'theme = "light"'))
    glance = fleet._glance
    answered = []
    monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[-1])
    cli("status")
    cli("status")
    assert answered == [None, 0]  # read and found valid once, then glanced


def test_a_record_made_by_other_code_is_no_record(cli, monkeypatch):
    """An upgrade may judge a config otherwise (and migrate the store): what another
    install of bayops found valid is read again."""
    from tui.core import configpath

    cli("status")
    glance = fleet._glance
    answered = []
    monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[-1])
    monkeypatch.setattr(configpath, "_JUDGES", configpath._JUDGES[:-1])  # other files: other code
    cli("status")
    cli("status")
    assert answered == [None, 0]


def test_a_user_config_laid_over_the_packaged_one(cli, monkeypatch):
    """A user's config that names no fleet (a theme) keeps the packaged fleet: found valid
    as laid over it, then glanced."""
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "bayops" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[bayops]\ntheme = "light"\n')
    glance = fleet._glance
    answered = []
    monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[-1])
    long, short = (cli("--config", str(user), "status", "--json") for _ in range(2))
    assert answered == [None, 0]
    assert short.out == long.out and long.code == 0


@pytest.mark.parametrize("where", [{"server": "unix:/nowhere/bayops.sock", "state": None},
                                   {"server": None, "state": "postgresql://bayops@db/fleet"}])
def test_a_server_or_postgresql_takes_the_long_way(cli, monkeypatch, where):
    """No glance at a state another process serves, or at a database (nothing is
    connected to find out: the long way does, and says what it finds)."""
    import argparse

    cli("status")
    monkeypatch.setenv("BAYOPS_CONFIG", str(cli.config))
    args = argparse.Namespace(read_only=False, config=None, group=None, domain=None, json=True,
                              **where)
    if where["state"] is None:
        args.state = str(cli.state)
    assert fleet._glance(args) is None
    args.server, args.state = "none", str(cli.state)
    assert fleet._glance(args) == 0  # the same, embedded on the SQLite file: glanced
