"""One Plan for every change: --dry-run answers "would this work?" without changing
anything, a confirmed plan is refused when the live state changed, refusals and events
carry structured fields."""
from __future__ import annotations

import pytest
from conftest import Cli, dump

from tui.model.errors import Refused
from tui.model.params import FailoverParams

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def failed_san_bay(cli: Cli) -> dict:
    bay = next(b for b in cli("bays", "--group", "prod-web", "--json").json
               if b["profile"] and b["boot_mode"] == "san" and b["model"] == "ProLiant BL460c Gen9")
    assert cli("sim", "fail", bay["id"]).code == 0
    return bay


def in_maintenance(cli: Cli) -> None:
    assert cli("maintenance", "start", "web-dom2", "--reason", "fw", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "firmware", "4.70", "--yes").code == 0


def spare(cli: Cli, group: str) -> str:
    """A spare of ``group`` (the demo has no other free server): a move target."""
    return cli("spares", group, "--json").json[0]["id"]


# (setup, arguments) for every change command; each must plan without changing a row.
DRY_RUNS = [
    (failed_san_bay, lambda cli, b: ("failover", b["id"])),
    (failed_san_bay, lambda cli, b: ("move", b["profile"], "--to", spare(cli, "prod-web"))),
    (None, lambda cli, _: ("spares", "prod-web", "--remove", spare(cli, "prod-web"))),
    (None, lambda cli, _: ("maintenance", "start", "web-dom2", "--reason", "fw")),
    (in_maintenance, lambda cli, _: ("maintenance", "renew", "web-dom2", "--hours", "2")),
    (in_maintenance, lambda cli, _: ("maintenance", "complete", "web-dom2")),
    (in_maintenance, lambda cli, _: ("maintenance", "cancel", "web-dom2")),
    (in_maintenance, lambda cli, _: ("domain", "set", "web-dom2", "network.web-back", "121")),
    (None, lambda cli, _: ("enclosure", "add", "lab", "enc-l9", "--bays", "8")),
    (None, lambda cli, _: ("policy", "lab", "--mode", "auto")),
    (None, lambda cli, _: ("profile", "create", "web-new", "--group", "prod-web")),
    (lambda cli: cli("profile", "create", "web-new", "--group", "prod-web", "--yes"),
     lambda cli, _: ("profile", "delete", "web-new")),
    (None, lambda cli, _: ("pools", "exclude", "mac", "00:17:A4:77:FF:00")),
    (None, lambda cli, _: ("sim", "fail", "enc-w1/4")),
]


@pytest.mark.parametrize("setup,args", DRY_RUNS, ids=lambda v: "" if callable(v) or v is None else v)
def test_dry_run_prints_the_plan_and_changes_nothing(cli, setup, args):
    assert cli("status").code == 0  # the fleet exists before the first dump
    argv = args(cli, setup(cli) if setup else None)
    before = dump(cli.state)
    r = cli(*argv, "--dry-run", "--json")
    assert r.code == 0, r.err
    plan = r.json["plan"]
    assert r.json["dry_run"] and plan["summary"] and plan["steps"] and plan["kind"]
    text = cli(*argv, "--dry-run")
    assert text.code == 0 and plan["summary"] in text.out
    assert dump(cli.state) == before


def test_dry_run_keeps_the_exit_codes_of_bad_input_and_refusal(cli):
    healthy_bay = next(b for b in cli("bays", "--group", "prod-web", "--json").json
                       if b["profile"] and b["boot_mode"] == "san" and b["health"] == "ok")
    before = dump(cli.state)
    assert cli("failover", "enc-zz/1", "--dry-run").code == 2
    healthy = cli("failover", healthy_bay["id"], "--dry-run", "--json")
    assert healthy.code == 3
    error = healthy.json
    assert error["code"] == "needs-force" and "--force" in error["hint"]
    assert cli("maintenance", "complete", "web-dom2", "--dry-run").code == 3
    assert dump(cli.state) == before


def test_dry_run_of_maintenance_complete_shows_the_structured_diff(cli):
    in_maintenance(cli)
    plan = cli("maintenance", "complete", "web-dom2", "--dry-run", "--json").json["plan"]
    assert plan["diff"]["changes"] == [{"op": "~", "kind": "firmware", "name": "", "old": "4.62",
                                        "new": "4.70", "text": "~ firmware 4.62 -> 4.70"}]


def test_a_confirmed_complete_is_refused_when_the_domain_changed_since(core):
    core.maintenance_start("web-dom2", "fw")
    core.domain_set("web-dom2", "firmware", "4.70")
    confirmed = core.plan_maintenance_complete("web-dom2")
    core.domain_set("web-dom2", "firmware", "4.71")  # edited between plan and yes
    with pytest.raises(Refused) as refused:
        core.maintenance_complete("web-dom2", expect=confirmed)
    assert refused.value.code == "plan-changed"
    assert core.maintenance()[0].domain == "web-dom2", "still in maintenance"


def test_job_params_come_back_typed_and_health_events_carry_fields(core):
    bay = next(b for b in core.bays(group="prod-web")
               if b.profile and b.boot_mode == "san" and b.model == "ProLiant BL460c Gen9")
    core.sim_fault(bay.id, "critical")
    change = next(e for e in core.events() if e.kind == "health.changed")
    assert change.data == {"bay": bay.id, "old": "ok", "new": "critical", "power": "on",
                           "detail": change.data["detail"]}
    job = core.failover(bay.id)
    assert isinstance(job.params, FailoverParams) and job.params.source == bay.id
    assert core.job(job.id).params == job.params
