"""The leader lease and fencing, in the database (schema 8): one holder at a time, the
epoch only grows, and a deposed leader's job writes are refused by the database itself."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import psycopg
import pytest
from conftest import INTEGRITY_ERRORS, raw_connection
from pgserver import wait_for

from tui.core.store import Store
from tui.model.errors import Fenced
from tui.model.params import PolicyParams
from tui.model.stateref import StateRef

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def expire(state) -> None:
    """The lease runs out (as if its holder stopped renewing)."""
    db = raw_connection(state)
    db.execute("UPDATE leader SET expires = expires - 3600")
    db.close()


def test_one_holder_and_a_deposed_leader_is_fenced_by_the_database(core, state):
    params = PolicyParams(group="lab", mode="alert", window="")
    a, b, plain = core.store, Store(StateRef.parse(state)), Store(StateRef.parse(state))
    try:
        assert a.take_lease("host-a 1", "unix:/a.sock", 30) == 1  # a's jobs: epoch 1
        assert b.take_lease("host-b 2", "unix:/b.sock", 30) is None  # a holds it
        assert b.lease().address == "unix:/a.sock" and b.lease().live
        claim = a.new_claim(1)
        job = a.create_job("alice", "a's job", params, [], claim)
        a.start_step(job, "one", claim)
        with pytest.raises(Fenced, match="epoch"):
            plain.create_job("bob", "no lease", params, [])  # no service: refused while a leads

        expire(state)
        assert not a.renew_lease(30)
        assert b.take_lease("host-b 2", "unix:/b.sock", 30) == 2
        for write in (lambda: a.start_step(job, "two", claim),
                      lambda: a.finish_step(job, 1, "done", "", claim),
                      lambda: a.finish_job(job, "done", claim),
                      lambda: a.create_job("alice", "again", params, [], a.new_claim(1))):
            with pytest.raises(Fenced) as fenced:
                write()
            assert fenced.value.code == "not-leader"
        assert b.job_owners(2)[job][:2] == (None, None)  # the new leader may take a's job over
        assert b.claim_job(job, "someone else's runner", 2) is None
        taken = b.claim_job(job, b.job_owners(2)[job][2], 2)
        assert taken is not None and taken.epoch == 2
        with pytest.raises(Fenced):  # a runner of the right epoch that does not hold the job
            b.finish_step(job, 1, "done", "a second runner", b.new_claim(2))
        b.finish_step(job, 1, "done", "taken over", taken)
        b.finish_job(job, "done", taken)
        assert b.renew_lease(30)

        b.release_lease()  # a clean stop: the next one need not wait
        plain.create_job("bob", "no service leads now", params, [])
        db = raw_connection(state)
        with pytest.raises(INTEGRITY_ERRORS, match="never goes back"):
            db.execute("UPDATE leader SET epoch = 1")
        with pytest.raises(INTEGRITY_ERRORS, match="kept"):
            db.execute("DELETE FROM leader")
        db.close()
        assert a.take_lease("host-a 1", "unix:/a.sock", 30) == 3
    finally:
        b.close()
        plain.close()


def _connections_to(state) -> int:
    """How many connections this process holds open to the store's database."""
    if isinstance(state, Path):  # SQLite: file descriptors on the state file
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir()
                   if os.path.realpath(fd) == os.path.realpath(state))
    with psycopg.connect(state, autocommit=True) as db:  # not named "bayops <pid>"
        return db.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname ="
                          " current_database() AND application_name = %s",
                          (f"bayops {os.getpid()}",)).fetchone()[0]


def test_close_closes_the_connections_of_every_thread(state):
    store = Store(StateRef.parse(state))
    together = threading.Barrier(4)

    def read() -> None:
        store.meta("created")
        together.wait(10)  # all four hold their own connection at once
    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert _connections_to(state) == 5  # this thread's (it migrated the schema) and theirs
    store.close()
    assert wait_for(lambda: _connections_to(state) == 0, 10), _connections_to(state)
    assert store.meta("driver") is None  # still usable: a new connection, closed again
    store.close()
    assert wait_for(lambda: _connections_to(state) == 0, 10)
