"""A bay's story, notes on a bay and the shift hand-over (issue 21: 4, 5): in the core on
both stores, and through the CLI as a script or the next shift meets them."""
from __future__ import annotations

import time

import pytest

from tests.conftest import dump, write_config
from tui.core.api import Core
from tui.core.config import load_config
from tui.model.errors import BadInput, Refused
from tui.model.story import NOTE_MAX

pytestmark = pytest.mark.both_stores
VIEWER_ONLY = {'default = "admin"\n': 'default = "viewer"\n'}
HOSTILE = "reseat \x1b[31m[bold]DIMM[/bold]\x1b]0;owned\x07\nnext line\u202e"


def as_user(config, state, user: str, replace: dict[str, str] | None = None) -> Core:
    if replace:
        config = write_config(config.parent / f"{user}.toml", replace=replace)
    return Core.open(load_config(config), str(state), operator=user)


# -- notes -----------------------------------------------------------------------------------------
def test_a_note_is_on_the_bay_row_audited_and_cleared(core):
    core.note_bay("enc-w1/4", "fan noise, ticket INC-1")
    bay = core.bay("enc-w1/4")
    assert (bay.note, bay.note_by) == ("fan noise, ticket INC-1", "tester") and bay.note_at
    event = core.events(0, 5, newest=True)[-1]
    assert (event.kind, event.source, event.operator) == ("bay.note", "bay:enc-w1/4", "tester")
    assert event.data["text"] == "fan noise, ticket INC-1"
    core.note_bay("enc-w1/4", None)
    assert core.bay("enc-w1/4").note is None
    assert core.events(0, 1, newest=True)[-1].message == "note on enc-w1/4 cleared by tester"
    with pytest.raises(Refused) as refused:
        core.note_bay("enc-w1/4", "")
    assert refused.value.code == "no-note"


def test_a_note_is_one_clean_line_of_bounded_length_or_nothing_changes(core, state):
    core.note_bay("enc-w1/4", HOSTILE)
    note = core.bay("enc-w1/4").note
    assert note == "reseat [31m[bold]DIMM[/bold]]0;owned next line"  # controls gone, text kept
    before = dump(state)
    for text, code in (("x" * (NOTE_MAX + 1), "note-too-long"), ("\x1b\x07\n", "empty-note")):
        with pytest.raises(BadInput) as bad:
            core.note_bay("enc-w1/4", text)
        assert bad.value.code == code
    with pytest.raises(BadInput):
        core.note_bay("enc-zz/4", "x")
    assert dump(state) == before


def test_a_viewer_reads_notes_but_cannot_leave_one(core, state, fast_config):
    core.note_bay("enc-w1/4", "keep off")
    viewer = as_user(fast_config, state, "vic", VIEWER_ONLY)
    try:
        with pytest.raises(Refused) as refused:
            viewer.note_bay("enc-w1/4", "mine")
        assert "note needs operator" in refused.value.message
        assert viewer.bay_story("enc-w1/4").notes[0].text == "keep off"
    finally:
        viewer.close()


# -- a bay's story --------------------------------------------------------------------------------
def test_the_story_of_a_failed_bay_and_of_the_spare_its_profile_went_to(core):
    core.note_bay("enc-w1/3", "flaky since Monday")
    core.sim_fault("enc-w1/3", "critical")
    job = core.failover("enc-w1/3")
    core.note_bay("enc-w1/3", "board replaced? ask Bob")
    target = job.params.target
    source = core.bay_story("enc-w1/3")
    assert source.whereabouts() == f"home of web-003, which runs on {target}"
    assert [(e.data["old"], e.data["new"]) for e in source.timeline] == [("ok", "critical")]
    assert source.jobs[0].id == job.id and source.jobs[0].kind == "failover"
    assert [n.text for n in source.notes] == ["board replaced? ask Bob", "flaky since Monday"]
    assert source.events[0].seq > source.events[-1].seq  # newest first
    moved = core.bay_story(target)
    assert moved.whereabouts() == "web-003 is away from enc-w1/3"
    assert moved.jobs[0].id == job.id and not moved.notes
    assert not core.bay_story("enc-w1/4").jobs  # enc-w1/3's job does not name enc-w1/4


# -- the hand-over --------------------------------------------------------------------------------
def test_the_handover_starts_at_this_operators_last_look(core, state, fast_config):
    first = core.handover()
    assert first.origin == "first-look"
    core.mark_looked(first.until)
    core.sim_fault("enc-w1/3", "critical")
    job = core.failover("enc-w1/3")
    core.maintenance_start("db-dom2", "firmware", expect=core.plan_maintenance_start("db-dom2", "firmware"))
    core.note_bay("enc-w1/3", "vendor called")
    summary = core.handover()
    assert summary.origin == "last-look" and summary.since == first.until
    assert [(e.data["bay"], e.data["new"]) for e in summary.health] == [("enc-w1/3", "critical")]
    mine = summary.by_operator()["tester"]
    assert mine[0].id == job.id and mine[0].state == "done" and len(mine) == 2  # + maintenance
    lease = summary.leases[0]
    assert lease.domain == "db-dom2" and lease.expires > summary.until
    assert [n.text for n in summary.notes] == ["vendor called"]
    other = as_user(fast_config, state, "bob")  # another operator: his own last look
    try:
        assert other.handover().origin == "first-look"
    finally:
        other.close()
    core.mark_looked(summary.until)
    quiet = core.handover()
    assert not quiet.health and not quiet.notes and quiet.leases  # the lease is still open
    asked = core.handover(since=time.time() - 3600)
    assert asked.origin == "asked" and asked.health


def test_the_handover_names_acks_drains_failbacks_and_the_policys_refusal(core):
    core.sim_fault("enc-w1/3", "critical")
    target = core.failover("enc-w1/3").params.target
    core.sim_fault("enc-w1/3", None)  # healed: the profile could go home
    core.rediscover()
    core.sim_fault("enc-w1/6", "critical")
    core.ack(["enc-w1/6"])
    core.store.add_event("critical", "bay:enc-w1/6", "policy.alert", "ALERT enc-w1/6: no spare",
                         "policy", None, {"bay": "enc-w1/6", "code": "no-spare"})
    summary = core.handover(since=time.time() - 60)
    assert [(f.profile, f.home, f.now_on) for f in summary.failbacks] == [("web-003", "enc-w1/3", target)]
    assert [b.id for b in summary.acks] == ["enc-w1/6"]
    assert [e.kind for e in summary.policy] == ["policy.alert"]
    assert summary.drained == ()


def test_a_look_in_the_future_is_bad_input(core):
    for call in (lambda: core.handover(since=time.time() + 3600),
                 lambda: core.mark_looked(time.time() + 3600)):
        with pytest.raises(BadInput):
            call()


# -- the CLI ---------------------------------------------------------------------------------------
def test_cli_note_exit_codes_and_hostile_text_shown_literally(cli):
    done = cli("note", "enc-w1/4", HOSTILE)
    assert done.code == 0, done.err
    assert "\x1b" not in done.out and "[bold]DIMM[/bold]" in done.out
    assert cli.bay("enc-w1/4")["note"].startswith("reseat ")
    shown = cli("bay", "enc-w1/4")
    assert shown.code == 0 and "\x1b" not in shown.out and "\u202e" not in shown.out
    assert "note: reseat [31m[bold]DIMM[/bold]" in shown.out
    assert cli("note", "enc-w1/4").code == 2  # neither text nor --clear
    assert cli("note", "enc-w1/4", "x", "--clear").code == 2
    assert cli("note", "enc-w1/4", "x" * (NOTE_MAX + 1), "--json").json["code"] == "note-too-long"
    assert cli("note", "enc-w1/4", "--clear").code == 0
    refused = cli("note", "enc-w1/4", "--clear", "--json")
    assert refused.code == 3 and refused.json["code"] == "no-note"
    assert cli("bay", "enc-nope/1").code == 2


def test_cli_bay_json_and_text(cli):
    cli("sim", "fail", "enc-w1/3")
    cli("failover", "enc-w1/3", "--yes")
    story = cli("bay", "enc-w1/3", "--json").json
    assert story["bay"]["id"] == "enc-w1/3" and story["away"] == "web-003"
    assert story["jobs"][0]["kind"] == "failover" and story["timeline"][0]["data"]["new"] == "critical"
    text = cli("bay", "enc-w1/3").out
    assert "home of web-003, which runs on" in text and "Health timeline (1)" in text
    assert "5/5 steps done" in text


def test_cli_bay_shows_the_comment_of_the_ack_it_carries_now(cli):
    cli("sim", "fail", "enc-w1/3")
    assert cli("ack", "enc-w1/3", "--comment", HOSTILE).code == 0
    story = cli("bay", "enc-w1/3", "--json").json
    assert story["ack_comment"].startswith("reseat ")
    text = cli("bay", "enc-w1/3").out
    assert "\x1b" not in text and "\u202e" not in text
    assert "acknowledged by tester" in text and ": reseat \\x1b[31m[bold]DIMM[/bold]" in text
    # healed, the ack clears itself; a new ack without a comment shows none of the old one
    cli("sim", "heal", "enc-w1/3")
    cli("sim", "fail", "enc-w1/3")
    assert cli("ack", "enc-w1/3").code == 0
    assert cli("bay", "enc-w1/3", "--json").json["ack_comment"] == ""
    state = cli("bay", "enc-w1/3").out.split("Health timeline")[0]  # the events keep the old
    assert "acknowledged by tester" in state and "DIMM" not in state


def test_cli_handover_since_a_duration_or_the_last_look(cli):
    cli("sim", "fail", "enc-w1/3")
    first = cli("handover", "--json").json
    assert first["origin"] == "first-look" and first["health"][0]["data"]["bay"] == "enc-w1/3"
    again = cli("handover", "--json").json  # the first one was shown: it is the last look
    assert again["origin"] == "last-look" and again["since"] == first["until"] and not again["health"]
    assert cli("handover", "--json", user="bob").json["origin"] == "first-look"
    asked = cli("handover", "--since", "2h", "--json").json
    assert asked["origin"] == "asked" and asked["health"]
    text = cli("handover", "--since", "2h").out
    assert "New criticals and warnings (1)" in text and "Possible failbacks: none" in text
    bad = cli("handover", "--since", "yesterday-ish")
    assert bad.code == 2 and "neither a duration" in bad.err
