"""Acknowledging bays: `bayops ack`, a recorded act (no job, no confirmation): who, when
and a comment on the bay and in the event log, all the bays or none, `--all` for every
unacknowledged one in a scope, refused where it means nothing, cleared when healthy."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def test_ack_records_with_a_comment_and_no_job_then_clears(cli):
    assert cli("sim", "fail", "enc-w1/3").code == 0
    jobs_before = len(cli("jobs", "--json").json)
    dry = cli("ack", "enc-w1/3", "--dry-run", "--json", user="alice")
    assert dry.code == 0 and dry.json["bays"] == ["enc-w1/3"], dry.err
    assert cli.bay("enc-w1/3")["acked_by"] is None
    done = cli("ack", "enc-w1/3", "--comment", "on it, ticket 4711", "--json", user="alice")
    assert done.code == 0, done.err
    bay = done.json["bays"][0]
    assert bay["acked_by"] == "alice" and bay["acked_at"] > 0
    assert len(cli("jobs", "--json").json) == jobs_before  # an act, not a job
    again = cli("ack", "enc-w1/3", "--json", user="bob")
    assert again.code == 3 and again.json["code"] == "already-acked"
    events = cli("events", "--json").json
    ack = next(e for e in events if e["kind"] == "bay.acknowledged")
    assert ack["operator"] == "alice" and "alice" in ack["message"]
    assert "ticket 4711" in ack["message"] and ack["data"]["comment"] == "on it, ticket 4711"
    assert ack["data"]["bay"] == "enc-w1/3" and ack.get("job_id") is None
    assert cli("sim", "heal", "enc-w1/3").code == 0
    assert cli.bay("enc-w1/3")["acked_by"] is None  # healthy: the acknowledgement is gone


def test_ack_all_in_a_group_in_one_act_and_all_or_none(cli):
    for bay in ("enc-w1/3", "enc-w1/5"):
        assert cli("sim", "fail", bay).code == 0
    assert cli("sim", "fail", "enc-w1/6", "--kind", "memory-errors").code == 0
    mixed = cli("ack", "enc-w1/3", "enc-w1/4", "--json")  # enc-w1/4 is healthy
    assert mixed.code == 3 and mixed.json["code"] == "not-critical"
    assert cli.bay("enc-w1/3")["acked_by"] is None  # all or none
    crit = cli("ack", "--all", "--group", "prod-web", "--health", "critical", "--json")
    assert crit.code == 0, crit.err
    assert sorted(b["id"] for b in crit.json["bays"]) == ["enc-w1/3", "enc-w1/5"]
    assert cli.bay("enc-w1/6")["acked_by"] is None
    rest = cli("ack", "--all", "--group", "prod-web", "--comment", "fans", "--json")
    assert rest.code == 0 and [b["id"] for b in rest.json["bays"]] == ["enc-w1/6"], rest.err
    none = cli("ack", "--all", "--group", "prod-web", "--json")
    assert none.code == 3 and none.json["code"] == "nothing-to-ack"
    assert cli("ack", "--all", "enc-w1/3").code == 2
    assert cli("ack").code == 2


def test_ack_refused_on_a_healthy_bay_and_read_only(cli):
    ok = cli("ack", "enc-w1/4", "--json")
    assert ok.code == 3 and ok.json["code"] == "not-critical"
    assert cli("sim", "fail", "enc-w1/3").code == 0
    ro = cli("--read-only", "ack", "enc-w1/3", "--json")
    assert ro.code == 3, ro.out
    assert cli.bay("enc-w1/3")["acked_by"] is None
