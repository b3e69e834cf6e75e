"""Acknowledging a critical bay: `bayops ack`, who and when on the bay and in the event
log, refused where it means nothing, cleared when the bay is healthy again."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def test_ack_cli_dry_run_then_record_and_clear(cli):
    assert cli("sim", "fail", "enc-w1/3").code == 0
    dry = cli("ack", "enc-w1/3", "--dry-run", "--json", user="alice")
    assert dry.code == 0 and dry.json["plan"]["kind"] == "ack", dry.err
    assert cli.bay("enc-w1/3")["acked_by"] is None
    done = cli("ack", "enc-w1/3", "--yes", "--json", user="alice")
    assert done.code == 0, done.err
    bay = done.json["bay"]
    assert bay["acked_by"] == "alice" and bay["acked_at"] > 0
    again = cli("ack", "enc-w1/3", "--yes", "--json", user="bob")
    assert again.code == 3 and again.json["code"] == "already-acked"
    events = cli("events", "--json").json
    ack = next(e for e in events if e["kind"] == "bay.acknowledged")
    assert ack["operator"] == "alice" and "alice" in ack["message"]
    assert ack["data"]["bay"] == "enc-w1/3"
    assert cli("sim", "heal", "enc-w1/3").code == 0
    assert cli.bay("enc-w1/3")["acked_by"] is None  # healthy: the acknowledgement is gone


def test_ack_refused_on_a_healthy_bay_and_read_only(cli):
    ok = cli("ack", "enc-w1/4", "--yes", "--json")
    assert ok.code == 3 and ok.json["code"] == "not-critical"
    assert cli("sim", "fail", "enc-w1/3").code == 0
    ro = cli("--read-only", "ack", "enc-w1/3", "--yes", "--json")
    assert ro.code == 3, ro.out
