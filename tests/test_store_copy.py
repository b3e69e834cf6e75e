"""`bayops store copy`: a site moves from a SQLite file to PostgreSQL and back with every
row, the same ids, ids never reused, and the simulator's hardware; a store that already
holds a site is never written to."""
from __future__ import annotations

import time
from datetime import datetime

from conftest import Cli, dump, sim_file, write_config


def site_rows(state) -> dict:
    """Every row of the site's tables, as sorted lists (the feed excepted: not copied)."""
    return {t: sorted(map(repr, rows)) for t, rows in dump(state).items()
            if t != "changes" and not t.startswith("sim_")}


def test_a_site_goes_to_postgresql_and_back_whole(tmp_path, pg_server):
    config = write_config(tmp_path / "c.toml")
    here = Cli(config, tmp_path / "s.db")
    assert here("sim", "fail", "enc-w1/2").code == 0
    assert here("failover", "enc-w1/2", "--yes").code == 0
    time.sleep(0.05)
    now = datetime.now().isoformat()
    assert here("events", "archive", "--before", now, "--yes").code == 0  # job 1 goes
    url = pg_server.url(pg_server.create_database())
    there = Cli(config, url)

    shown = here("store", "copy", "--to", url, "--dry-run", "--json")
    assert shown.code == 0 and shown.json["rows"]["bays"] == 176
    assert there("store", "copy", "--from", str(here.state), "--to", url, "--yes").code == 0
    assert site_rows(url) == site_rows(here.state)
    # The simulator's hardware came along: the failed server is still failed there.
    assert sim_file(url).is_file()
    assert there.bay("enc-w1/2")["health"] == "critical"
    # Ids continue past those archived away, as they would have at home.
    kept = [j["id"] for j in here("jobs", "--json").json]
    assert 1 not in kept  # archived: its id must never come back
    assert there("sim", "fail", "enc-w1/3").code == 0
    r = there("failover", "enc-w1/3", "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json["job"]["id"] > max([1, *kept])

    back = tmp_path / "back.db"
    r = there("store", "copy", "--to", str(back), "--yes", "--json")
    assert r.code == 0, r.err and r.json["verified"]
    assert site_rows(back) == site_rows(url)
    assert Cli(config, back).bay("enc-w1/3")["profile"] is None


def test_a_store_that_holds_a_site_is_refused_and_untouched(tmp_path, pg_server):
    config = write_config(tmp_path / "c.toml")
    here, url = Cli(config, tmp_path / "s.db"), pg_server.url(pg_server.create_database())
    there = Cli(config, url)
    assert here("status").code == 0 and there("status").code == 0  # both hold a fleet
    before = dump(url)
    r = here("store", "copy", "--to", url, "--yes", "--json")
    assert r.code == 3 and r.json["code"] == "target-not-empty"
    assert dump(url) == before
    r = here("store", "copy", "--from", str(tmp_path / "nothing.db"), "--to", url, "--yes")
    assert r.code == 2 and "no such state file" in r.err
