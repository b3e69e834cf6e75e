"""Retention without losing the audit trail: `bayops events archive` and `events verify`."""
from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import DATABASE_ERRORS, ROOT, Cli, dump, raw_connection, sim_file, write_config

from tui.model.errors import OperationFailed
from tui.model.params import PolicyParams

GENESIS = "0" * 64

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def notes(core, n, tag):
    for i in range(n):
        core.event("info", "test", "test.note", f"{tag} {i}")


def cut() -> str:
    """Now, as the operator types it (local ISO time), strictly after what came before."""
    time.sleep(0.02)
    text = datetime.now().isoformat()
    time.sleep(0.02)
    return text


def finished_job(core):
    return core.policy("lab", "alert", None).id


def archive(cli, before, *more, subprocess=False):
    r = cli("events", "archive", "--before", before, "--yes", "--json", *more, subprocess=subprocess)
    assert r.code == 0, r.err
    return r.json["archive"]


def records(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


def hash_of(record):
    """The documented hash, computed here without bayops' code, as an auditor would."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=True).encode()).hexdigest()


def rewrite(path, change):
    lines = records(path)
    change(lines)
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in lines)


def live_seqs(cli):
    return [e["seq"] for e in cli("events", "--since", "0", "--json").json]


def test_archive_then_verify(cli, core):
    notes(core, 3, "old")
    job_id = finished_job(core)
    before = cut()
    notes(core, 2, "new")
    record = archive(cli, before)
    path = Path(record["file"])
    assert path.parent == sim_file(cli.state).parent / "archive" and path.name.startswith("events-1-")
    assert record["first_seq"] == 1 and record["first_job"] == 1 and record["last_job"] == job_id
    # the events before the date left the live log, the later ones stayed
    seqs = live_seqs(cli)
    assert min(seqs) == record["last_seq"] + 1
    messages = [e["message"] for e in cli("events", "--since", "0", "--json").json]
    assert "new 0" in messages and "new 1" in messages and not any(m.startswith("old") for m in messages)
    archived = [e for e in cli("events", "--since", "0", "--json").json if e["kind"] == "events.archived"]
    assert archived[0]["operator"] == "tester"
    data = archived[0]["data"]
    assert data["file"] == str(path) and data["last_hash"] == record["last_hash"]
    assert cli("jobs", "show", str(job_id)).code == 2  # gone from the store, kept in the file
    # the file: gzip JSON lines, a hash chain from the genesis value, events then jobs
    lines = records(path)
    assert lines[0]["prev"] == GENESIS and lines[0]["type"] == "event" and lines[0]["seq"] == 1
    for prev, rec in zip([None, *lines], lines, strict=False):
        assert rec["hash"] == hash_of(rec)
        if prev is not None:
            assert rec["prev"] == prev["hash"]
    assert lines[-1]["hash"] == record["last_hash"]
    assert {r["message"] for r in lines if r["type"] == "event"} >= {"old 0", "old 1", "old 2"}
    job = next(r for r in lines if r["type"] == "job" and r["id"] == job_id)
    assert job["state"] == "done" and job["steps"] and job["params"]["group"] == "lab"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
    r = cli("events", "verify")
    assert r.code == 0 and "intact" in r.out, r.out + r.err
    assert cli("events", "verify", str(path)).code == 0


def test_successive_archives_chain_and_a_missing_file_or_a_gap_is_found(cli, core):
    files = []
    for round_ in range(3):
        notes(core, 2, f"round {round_}")
        files.append(Path(archive(cli, cut())["file"]))
    first, second, third = (records(f) for f in files)
    assert second[0]["prev"] == first[-1]["hash"] and third[0]["prev"] == second[-1]["hash"]
    assert second[0]["seq"] == first[-1]["seq"] + 1  # the archiving job's events come later
    r = cli("events", "verify", "--json")
    assert r.code == 0 and r.json["ok"] and len(r.json["files"]) == 3
    # given in any order, the files are checked in chain order
    assert cli("events", "verify", str(files[2]), str(files[0]), str(files[1])).code == 0
    # a gap: the middle file left out
    r = cli("events", "verify", str(files[0]), str(files[2]))
    assert r.code == 1
    assert f"{files[2]}: record 1: does not continue {files[0]}" in r.out
    missing = [r["seq"] for r in second if r["type"] == "event"]
    assert f"(events {missing[0]}..{missing[-1]} missing)" in r.out
    # a missing file
    files[1].unlink()
    r = cli("events", "verify")
    assert r.code == 1 and f"{files[1]}: missing" in r.out
    assert len(r.out.splitlines()) == 1, r.out


def test_an_edited_record_is_found(cli, core):
    notes(core, 4, "old")
    path = Path(archive(cli, cut())["file"])

    def edit(lines):
        lines[2]["message"] = "nothing to see here"
    rewrite(path, edit)
    r = cli("events", "verify")
    assert r.code == 1
    assert f"{path}: record 3 (event seq 3): its content does not match its hash (edited)" in r.out
    assert f"{path}: sha256" in r.out  # and the file is not the one recorded
    r = cli("events", "verify", str(path), "--json")
    assert r.code == 1 and not r.json["ok"] and "record 3 (event seq 3)" in r.json["problems"][0]


def test_a_delete_not_covered_by_an_archive_is_refused(cli, core):
    notes(core, 2, "old")
    db = raw_connection(cli.state)  # autocommit: hold no lock
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        db.execute("DELETE FROM events WHERE seq = 1")
    record = archive(cli, cut())
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        db.execute("DELETE FROM events WHERE seq = ?", (record["last_seq"] + 1,))
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        db.execute("DELETE FROM events")
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        db.execute("UPDATE archives SET last_hash = 'x'")
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        db.execute("DELETE FROM archives")
    with pytest.raises(DATABASE_ERRORS, match="archived job"):
        db.execute("DELETE FROM jobs WHERE id = (SELECT MAX(id) FROM jobs)")
    db.close()
    assert cli("events", "verify").code == 0


def test_running_jobs_stay_and_later_ones_wait_for_them(cli, core):
    done = finished_job(core)
    claim = core.store.new_claim(None)
    running = core.store.create_job("tester", "still at it", PolicyParams(group="lab", mode="alert",
                                                                           window=""), [], claim)
    later = finished_job(core)
    # bayops as another process: in this one, the job's claim would be this pid's and its
    # runner none, so it would be resumed as interrupted
    record = archive(cli, cut(), subprocess=True)
    assert (record["first_job"], record["last_job"]) == (done, done)
    jobs = {j["id"]: j["state"] for j in cli("jobs", "--json", subprocess=True).json}
    assert jobs[running] == "running" and later in jobs and done not in jobs
    core.store.finish_job(running, "done", claim)
    record = archive(cli, cut())
    assert record["first_job"] == running
    assert cli("events", "verify").code == 0


def test_a_crash_between_writing_and_deleting_changes_nothing_and_the_next_run_works(
        cli, core, tmp_path):
    notes(core, 3, "old")
    finished_job(core)
    before = cut()
    old = {t: dump(cli.state)[t] for t in ("events", "archives")}
    # a process killed right after the file is durable, before the store transaction
    script = (
        "import os, sys\n"
        "from tui.core import archive\n"
        "from tui.core.api import Core\n"
        "from tui.core.config import load_config\n"
        "from tui.cli.archive import _date\n"
        "real = archive.write\n"
        "def write(*args, **kwargs):\n"
        "    real(*args, **kwargs)\n"
        "    os._exit(9)\n"
        "archive.write = write\n"
        "from pathlib import Path\n"
        "core = Core.open(load_config(Path(sys.argv[1])), sys.argv[2])\n"
        "core.archive(_date(sys.argv[3]))\n")
    done = subprocess.run([sys.executable, "-c", script, str(cli.config), str(cli.state), before],
                          cwd=ROOT, env=cli.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 9, done.stderr
    leftover = sorted((sim_file(cli.state).parent / "archive").glob("*.jsonl.gz"))
    assert len(leftover) == 1
    assert {t: dump(cli.state)[t] for t in ("events", "archives")} == old
    # the next run reports the interrupted job, recognises the unrecorded file and replaces it
    plan = cli("events", "archive", "--before", before, "--dry-run", "--json")
    assert plan.code == 0 and "interrupted" in plan.json["plan"]["warnings"][0]
    record = archive(cli, before)
    assert record["file"] == str(leftover[0])
    lines = records(leftover[0])
    seqs = [r["seq"] for r in lines if r["type"] == "event"]
    assert seqs == list(range(1, record["last_seq"] + 1))  # no duplicate, no hole
    assert [r[0] for r in old["events"]][: len(seqs)] == seqs
    assert min(live_seqs(cli)) == record["last_seq"] + 1
    assert cli("events", "verify").code == 0


def test_a_failure_after_writing_leaves_the_store_and_a_retry_works(core, monkeypatch):
    from tui.core import archive as archive_files

    notes(core, 3, "old")
    before = datetime.fromisoformat(cut()).timestamp()
    real = archive_files.write

    def write_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise OperationFailed("disk went away")
    monkeypatch.setattr(archive_files, "write", write_then_fail)
    with pytest.raises(OperationFailed, match="disk went away"):
        core.archive(before)
    assert core.archives() == [] and core.events()[0].seq == 1
    monkeypatch.setattr(archive_files, "write", real)
    job = core.archive(before)
    assert job.state == "done" and len(core.archives()) == 1
    assert core.verify_archives().ok


@pytest.mark.sqlite_only  # reads the simulator's table in the state file
def test_consumed_simulator_events_are_pruned(core):
    bay = next(b for b in core.bays(group="lab") if not b.empty)
    core.driver.inject(bay.id, "critical")
    core.driver.heal(bay.id)
    core.driver.events()  # a monitor consumed both
    core.driver.inject(bay.id, "critical")  # not consumed yet
    count = core.store.db.execute("SELECT COUNT(*) FROM sim_events").fetchone()[0]
    job = core.archive(datetime.fromisoformat(cut()).timestamp())
    assert "pruned 2 consumed" in job.steps[-1].detail
    assert core.store.db.execute("SELECT COUNT(*) FROM sim_events").fetchone()[0] == count - 2
    assert [e.kind for e in core.driver.events()] == ["critical"]


def test_a_viewer_is_refused_and_may_verify(tmp_path, cli, core):
    viewer = Cli(write_config(tmp_path / "viewer.toml",
                              replace={'default = "admin"': 'default = "viewer"'}),
                 cli.state)
    r = viewer("events", "archive", "--before", cut(), "--yes")
    assert r.code == 3 and "archive needs admin" in r.err
    assert viewer("events", "verify").code == 0


def test_dry_run_changes_nothing(cli, core):
    notes(core, 2, "old")
    before = cut()
    state = dump(cli.state)
    r = cli("events", "archive", "--before", before, "--dry-run")
    assert r.code == 0 and "archive " in r.out and "events-1-" in r.out
    assert dump(cli.state) == state
    assert not (sim_file(cli.state).parent / "archive").exists()


@pytest.mark.parametrize("args", [("--before", "2999-01-01"), (), ("--before", "yesterday")])
def test_a_future_missing_or_malformed_date_is_exit_2(cli, args):
    r = cli("events", "archive", *args, "--yes")
    assert r.code == 2, r.err


def test_an_existing_file_is_never_overwritten(cli, core, tmp_path):
    notes(core, 2, "old")
    target = tmp_path / "mine.jsonl.gz"
    target.write_text("keep me")
    r = cli("events", "archive", "--before", cut(), "--to", str(target), "--yes")
    assert r.code == 3 and "never overwrites" in r.err
    assert target.read_text() == "keep me"
    record = archive(cli, cut(), "--to", str(tmp_path / "audit.jsonl.gz"))
    assert record["file"] == str(tmp_path / "audit.jsonl.gz")

