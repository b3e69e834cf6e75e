"""The service's API against an in-process `bayops serve`: the document, the dispatch,
identities and roles, refusals audited, the change feed, tokens, metrics, the webhook."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
import inspect
import json
import threading

import httpx
import pytest

from tests.conftest import dump, stored_text, write_config
from tests.serve_support import InProcessServer, socket_path
from tui.core.api import Core
from tui.core.api import served as core_api
from tui.model.errors import BadInput, BayopsError, Refused
from tui.model.stateref import StateRef

VIEWER_ONLY = {'default = "admin"\n': 'default = "viewer"\n'}
ME = getpass.getuser()
pytestmark = pytest.mark.both_stores  # each test with a state on SQLite and PostgreSQL


@pytest.fixture
def served(tmp_path, state):
    def start(replace: dict[str, str] | None = None, extra: str = "") -> InProcessServer:
        config = write_config(tmp_path / "config.toml", replace=replace)
        if extra:
            config.write_text(config.read_text() + extra)
        return InProcessServer(config, state, socket_path(tmp_path))
    return start


def http(server: InProcessServer) -> httpx.Client:
    return httpx.Client(base_url="http://bayops", transport=httpx.HTTPTransport(uds=str(server.socket)),
                        timeout=30)


# -- the document and the registry ------------------------------------------------------------
def test_every_route_is_in_the_openapi_document_and_every_documented_route_exists(served):
    from tui.server import openapi

    doc = json.loads(openapi.DOC.read_text())
    with served() as server:
        app_routes = {(r.method.lower(), r.resource.canonical) for r in server.app.router.routes()
                      if r.method != "HEAD"}
    documented = {(m, path) for path, item in doc["paths"].items() for m in item}
    assert app_routes - documented == set(), "run: python -m tui.server.openapi --write"
    assert documented - app_routes == set()
    assert openapi.text() == openapi.DOC.read_text(), "run: python -m tui.server.openapi --write"


def test_every_change_of_the_core_is_a_plan_and_run_pair_served_under_its_name():
    """The registry is the Core's own methods: plan_x/x, served as /v1/plan/x, /v1/run/x."""
    api = core_api()
    plans = {name for name, _ in inspect.getmembers(Core, inspect.isfunction) if name.startswith("plan_")}
    assert plans == {c.plan for c in api.changes}
    assert {"maintenance-complete", "spares", "pools", "archive", "domain-set"} <= {
        c.route for c in api.changes}  # the public routes kept their names
    for change in api.changes:
        plan, run = api.core_signature(change.plan), api.core_signature(change.name)
        assert "expect" in run.names(), change
        assert set(run.names()) - {"expect"} <= set(plan.names()), change


# -- identity and roles ---------------------------------------------------------------------------
def test_the_operator_is_the_peer_os_user_whatever_the_client_says(served, monkeypatch):
    monkeypatch.setenv("BAYOPS_USER", "alice")
    with served() as server:
        client = server.client()
        assert client.operator == ME
        client.sim_fault("enc-w1/3", "critical")
        events = client.events(0, 50, newest=True)
        assert events[-1].operator == ME and "alice" not in {e.operator for e in events}


def test_roles_come_from_the_server_config_and_every_refusal_is_audited(served):
    with served(VIEWER_ONLY) as server:
        client = server.client()
        assert client.role("prod-web") == "viewer"
        with pytest.raises(Refused) as refused:
            client.plan_sim_fault("enc-w1/3", "critical")
        assert "needs operator" in refused.value.message
        audit = [e for e in client.events(0, 100) if e.kind == "access.refused"]
        assert audit and audit[-1].data["who"] == ME
        assert audit[-1].data["what"] == "plan_sim_fault enc-w1/3 critical"
        assert "needs operator" in audit[-1].data["why"]
        assert server.service.store.bay("enc-w1/3").health != "critical"


def test_a_reserved_name_cannot_be_a_person():
    """Bad input, exit 2, like any other bad name (a token's --user, BAYOPS_USER)."""
    from tui.core.roles import check_person

    for name in ("monitor", "policy", "server"):
        with pytest.raises(BadInput) as exc:
            check_person(name, "login")
        assert exc.value.code == "reserved-name"
    with pytest.raises(BadInput):
        check_person("policy:auto", "login")


# -- plans, errors and credentials --------------------------------------------------------------
def test_plan_then_execute_refuses_when_the_live_state_picks_another_target(served):
    with served() as server:
        client = server.client()
        client.sim_fault("enc-w1/3", "critical")
        plan = client.plan_failover("enc-w1/3")
        assert plan.target == "enc-w2/16" and plan.steps
        client.spares("prod-web", [], [plan.target])
        with pytest.raises(Refused) as exc:
            client.failover("enc-w1/3", expect=plan)
        assert exc.value.code == "plan-changed"
        assert server.service.store.bay("enc-w1/3").profile == "web-003"


def test_a_domain_edit_is_planned_after_the_edits_queued_before_it(served):
    """The dashboard's queue of edits: the removal of the only admin is planned after the
    addition of another (refused alone), the drift is the queue's, and it runs once the
    queued edit is made."""
    with served() as server:
        client = server.client()
        client.maintenance_start("web-dom2", "users")
        with pytest.raises(Refused) as exc:
            client.plan_domain_set("web-dom2", "user.vcadmin", "-")
        assert exc.value.code == "last-admin"
        plan = client.plan_domain_set("web-dom2", "user.vcadmin", "-",
                                      after=[("user.ops2", "admin")])
        assert plan.diff is not None and plan.diff.lines() == ["+ user ops2 role admin",
                                                               "- user vcadmin role admin"]
        client.domain_set("web-dom2", "user.ops2", "admin")
        client.domain_set("web-dom2", "user.vcadmin", "-", expect=plan)
        assert client.domain_config("web-dom2")[0].users.get("vcadmin") is None


def test_errors_keep_their_class_code_and_status(served):
    with served() as server:
        client = server.client()
        with pytest.raises(BadInput) as exc:
            client.bays(group="no-such-group")
        assert exc.value.code == "unknown-group"
        with http(server) as h:
            r = h.post("/v1/plan/failover", json={"bay": "enc-w1/3", "bogus": 1})
            assert r.status_code == 400 and r.json()["code"] == "bad-request"
            r = h.post("/v1/plan/failover", content=b"[1]")
            assert r.status_code == 400
            r = h.get("/v1/query/verify_archives", params={"files": '["/etc/shadow"]'})
            assert r.status_code == 403 and r.json()["code"] == "server-only"
            # Malformed past what a parser or a column holds: bad input, not a crash.
            deep = b"[" * 200_000 + b"]" * 200_000
            for body in (b'{"rev": ' + deep + b"}", deep):
                r = h.post("/v1/read/changes_since", content=body,
                           headers={"Content-Type": "application/json"})
                assert r.status_code == 400 and r.json()["code"] == "bad-request", r.text
            for rev in (-1e30, -10**30, 10**19):
                r = h.post("/v1/read/changes_since", json={"rev": rev})
                assert r.status_code == 400 and r.json()["code"] == "bad-request", r.text


def test_no_answer_carries_the_bmc_credentials(served):
    secret = "pw-never-leaves-7f3a"
    extra = f'\n[redfish]\nusername = "admin"\npassword = "{secret}"\n'
    with served(extra=extra) as server, http(server) as h:
        answers = [h.get("/v1/info").text, h.get("/metrics").text]
        answers += [h.get(f"/v1/query/{name}").text for name in core_api().queries]
        answers += [h.post(f"/v1/read/{name}", json={}).text for name in core_api().reads]
    assert all(secret not in text for text in answers)
    assert any('"operator"' in text for text in answers)


def test_the_fleets_bays_cross_as_one_table_and_arrive_as_the_stores_own(served, state):
    """The dashboard's big read (every bay) comes as columns and rows: less than half the
    bytes of one object per bay, and the same Bays the server's store holds."""
    from tui.core.store import Store

    with served() as server, http(server) as h:
        client = server.client()
        client.sim_fault("enc-w1/3", "critical")
        client.store.bays()  # the table's path, as the dashboard reads it
        table = h.post("/v1/read/bays", params={"table": "1"}, json={})
        objects = h.post("/v1/read/bays", json={})
        store = Store(StateRef.parse(state))
        try:
            assert client.store.bays() == store.bays()
            assert client.store.bays(group="prod-web") == store.bays(group="prod-web")
            assert client.store.enclosures() == store.enclosures()
        finally:
            store.close()
    answer = table.json()["result"]
    assert answer["columns"][:3] == ["id", "enclosure", "number"]
    assert len(answer["rows"]) == len(objects.json()["result"])
    assert len(table.content) < len(objects.content) / 2


def test_a_jobs_params_cross_as_their_object_and_are_the_ones_it_ran_with(served, state):
    """A job is read with its params as the store's text, decoded when first asked: served
    or embedded it is the same job, its params those it was run with, and the API and
    `--json` show them as an object."""
    from tui.core.store import Store
    from tui.model.params import FailoverParams, MoveParams

    with served() as server, http(server) as h:
        client = server.client()
        client.sim_fault("enc-w1/3", "critical")
        client.failover("enc-w1/3")
        client.move("web-002", "enc-w3/3")
        remote = client.jobs()
        sent = h.get("/v1/query/jobs").json()["result"]
        store = Store(StateRef.parse(state))
        try:
            embedded = store.jobs()
        finally:
            store.close()
    assert remote == embedded and [j.kind for j in remote] == ["move", "failover"]
    move, failover = remote
    assert isinstance(failover.params, FailoverParams) and failover.params == embedded[1].params
    assert (failover.params.source, failover.params.target) == ("enc-w1/3", "enc-w2/16")
    assert isinstance(move.params, MoveParams) and move.params.group == "prod-web"
    assert move.group == "prod-web" and failover.group == "prod-web"
    assert sent[1]["params"] == {"kind": "failover", **failover.params.to_json()}
    assert failover.to_dict()["params"] == failover.params.to_json() == embedded[1].to_dict()["params"]


def test_a_kept_answer_of_the_whole_fleet_never_hides_a_change(served):
    """The server keeps the whole fleet's table until the store's revision moves."""
    with served() as server, http(server) as h:
        def health(bay_id: str) -> str:
            answer = h.post("/v1/read/bays", params={"table": "1"}, json={}).json()["result"]
            row = next(r for r in answer["rows"] if r[0] == bay_id)
            return row[answer["columns"].index("health")]
        assert health("enc-w1/3") == "ok"
        assert health("enc-w1/3") == "ok"  # kept
        server.client().sim_fault("enc-w1/3", "critical")
        assert health("enc-w1/3") == "critical"


def test_a_table_answer_is_checked_column_by_column_and_an_older_servers_list_still_reads():
    from tui.client.table import decode_table, encode_table
    from tui.model.entities import Bay

    bay = Bay("e1/1", "e1", 1, "d1", "g1", "BL460c", "Gen10", "SN1", "on", "ok", False,
              None, None, None, False, acked_at=1.5)
    wire = json.loads(json.dumps(encode_table(Bay, [bay])))
    assert decode_table(list[Bay], wire, "bays") == [bay]
    assert decode_table(list[Bay], [json.loads(json.dumps(dataclasses.asdict(bay)))], "bays") == [bay]
    for hostile, complaint in (({**wire, "columns": wire["columns"][::-1]}, "columns"),
                               ({**wire, "rows": [wire["rows"][0][:-1]]}, "rows of"),
                               ({**wire, "rows": [[*wire["rows"][0][:2], "1", *wire["rows"][0][3:]]]},
                                "bays.number: got str"),
                               ({**wire, "rows": [[*wire["rows"][0][:10], 1, *wire["rows"][0][11:]]]},
                                "bays.spare: got int")):
        with pytest.raises(BadInput, match=complaint):
            decode_table(list[Bay], hostile, "bays")


def test_a_table_answer_read_row_by_row_gives_the_same_bays_sharing_their_repeated_words():
    from tui.client.table import decode_table_text, encode_table
    from tui.model.entities import Bay

    bays = [Bay(f"e1/{n}", "e1", n, "d1", "g1", "BL460c", "Gen10", f"SN{n}", "on", "ok",
                False, None, None, None, False) for n in range(1, 4)]
    text = json.dumps({"result": encode_table(Bay, bays)}, separators=(",", ":"))
    got = decode_table_text(list[Bay], text, "bays")
    assert got == bays
    assert got[0].domain is got[2].domain and got[0].health is got[2].health
    older = json.dumps({"result": [dataclasses.asdict(b) for b in bays]})  # a list, not a table
    assert decode_table_text(list[Bay], older, "bays") == bays
    for hostile, complaint in ((text.replace('"rows":[[', '"rows":[[1,'), "rows of"),
                               (text.replace('"SN2"', "2"), "bays.serial: got int"),
                               (text[:-3] + "]}", "does not end"),
                               (text.replace("],[", "],{"), "not JSON"),
                               (text.replace('"id",', ""), "columns")):
        with pytest.raises(BadInput, match=complaint):
            decode_table_text(list[Bay], hostile, "bays")


# -- the change feed ----------------------------------------------------------------------------
def test_feed_streams_changes_and_resumes_from_a_revision(served):
    with served() as server:
        client = server.client()
        start = client.revision()
        client.sim_fault("enc-w1/3", "critical")
        seen: dict[str, set[str]] = {}
        for event, data in client.feed(start):
            assert event == "change" and data["rev"] > start
            for kind, keys in data["changes"].items():
                seen.setdefault(kind, set()).update(keys or ())
            if "enc-w1/3" in seen.get("bay", set()):
                break
        assert "event" in seen


def test_a_busy_feed_wakes_the_dashboard_a_few_times_a_second_not_at_every_event():
    """Changes arriving one by one wake the reader at once; a burst wakes it once now and
    once WAKE_SECONDS later (the reader then fetches the whole burst), never in between."""
    import time

    from tui.client.remote import Paced

    woken: list[float] = []
    paced = Paced(lambda: woken.append(time.monotonic()), 0.3)
    paced()
    assert len(woken) == 1  # the first change: at once
    for _ in range(50):
        paced()
    assert len(woken) == 1
    deadline = time.monotonic() + 10
    while len(woken) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(woken) == 2 and woken[1] - woken[0] >= 0.29  # the burst: one wake, later
    time.sleep(0.4)
    paced()
    assert len(woken) == 3  # quiet again: at once
    time.sleep(0.5)
    assert len(woken) == 3


def test_a_slow_feed_client_gets_a_resync_instead_of_holding_the_server():
    from tui.server.feed import Subscriber

    async def fill() -> list[tuple[str, dict]]:
        sub = Subscriber(3)
        for rev in range(1, 10):
            sub.offer(("change", {"rev": rev, "changes": {}}))
        return [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    got = asyncio.run(fill())
    assert ("resync", {"rev": 7}) in got and len(got) <= 3
    assert got[-1][1]["rev"] == 9


# -- tokens, metrics, the webhook -----------------------------------------------------------------
def test_tokens_are_stored_hashed_expire_and_revoke(state):
    from tui.core import tokens
    from tui.core.store import Store

    store = Store(StateRef.parse(state))
    token_id, secret = tokens.create(store, "alice", 3600, "root")
    assert secret.startswith("bayops_")
    assert secret not in stored_text(state)
    assert tokens.verify(store, secret).user == "alice"
    assert tokens.verify(store, secret, now=store.tokens()[0].expires + 1) is None
    assert tokens.verify(store, secret + "x") is None
    assert store.revoke_token(token_id, 1.0) and tokens.verify(store, secret) is None
    assert not store.revoke_token(token_id, 2.0)
    with pytest.raises(BadInput):
        tokens.create(store, "monitor", 60, "root")
    with pytest.raises(BadInput):
        tokens.parse_expiry("forever")


def test_token_rate_limit_after_failed_attempts(state):
    from tui.core.store import Store
    from tui.server.auth import FAILURES_ALLOWED, Gate, RateLimited, Unauthenticated

    gate = Gate(Store(StateRef.parse(state)))
    for _ in range(FAILURES_ALLOWED):
        with pytest.raises(Unauthenticated):
            gate.token("Bearer bayops_wrong", "10.0.0.9", now=100.0)
    with pytest.raises(RateLimited) as first:
        gate.token("Bearer bayops_wrong", "10.0.0.9", now=101.0)
    with pytest.raises(RateLimited) as again:
        gate.token("Bearer bayops_wrong", "10.0.0.9", now=102.0)
    assert first.value.audited and not again.value.audited  # one audit event per window
    with pytest.raises(Unauthenticated):  # another address is not held back
        gate.token(None, "10.0.0.8", now=101.0)


def test_the_services_of_one_store_share_the_failed_attempt_limit(state):
    """Two gates on one store (two services of one site): taking turns between them wins
    no extra tries; once the window has passed the address may try again, and the old
    attempts are forgotten."""
    from tui.core.store import Store
    from tui.server.auth import FAILURE_WINDOW, FAILURES_ALLOWED, Gate, RateLimited, Unauthenticated

    stores = [Store(StateRef.parse(state)), Store(StateRef.parse(state))]
    gates = [Gate(store) for store in stores]
    for i in range(FAILURES_ALLOWED):
        with pytest.raises(Unauthenticated):
            gates[i % 2].token("Bearer bayops_wrong", "10.0.0.9", now=100.0 + i)
    for gate in gates:
        with pytest.raises(RateLimited):
            gate.token("Bearer bayops_wrong", "10.0.0.9", now=110.0)
    with pytest.raises(Unauthenticated):
        gates[1].token("Bearer bayops_wrong", "10.0.0.9", now=100.0 + FAILURE_WINDOW + 5)
    for store in stores:
        store.close()
    assert [row[0] for row in dump(state)["token_failures"]] == ["10.0.0.9 wrong"]


def test_one_addresss_bad_tokens_do_not_lock_out_a_valid_token_from_it(state):
    """A NAT or a jump host: one client's bad tokens are held back, another's valid token
    from the same address still works; a guesser trying many tokens meets the address's
    own, looser limit."""
    from tui.core import tokens
    from tui.core.store import Store
    from tui.server.auth import ADDRESS_FAILURES_ALLOWED, FAILURES_ALLOWED, Gate, RateLimited

    store = Store(StateRef.parse(state))
    _, secret = tokens.create(store, "alice", 3600, "admin")
    gate = Gate(store)
    for _ in range(FAILURES_ALLOWED):
        with contextlib.suppress(BayopsError):
            gate.token("Bearer bayops_stale-token", "10.0.0.9", now=100.0)
    with pytest.raises(RateLimited):
        gate.token("Bearer bayops_stale-token", "10.0.0.9", now=101.0)
    assert gate.token(f"Bearer {secret}", "10.0.0.9", now=102.0).operator == "alice"
    for i in range(ADDRESS_FAILURES_ALLOWED):  # a different guess each time
        with contextlib.suppress(BayopsError):
            gate.token(f"Bearer bayops_{i:06d}x", "10.0.0.7", now=100.0)
    with pytest.raises(RateLimited):
        gate.token("Bearer bayops_fresh1", "10.0.0.7", now=101.0)
    store.close()


def test_metrics_count_the_fleet_and_the_failovers(served):
    with served() as server:
        client = server.client()
        client.sim_fault("enc-w1/3", "critical")
        client.failover("enc-w1/3")
        with http(server) as h:
            text = h.get("/metrics").text
    assert 'bayops_failovers_total{state="done"} 1' in text
    assert 'bayops_spares_ready{group="prod-web"} 2' in text
    assert 'bayops_servers{health="warning"}' in text and "bayops_feed_lag_revisions" in text
    assert 'bayops_bmc_request_seconds_count{op="power_on"} 1' in text


def test_alert_webhook_is_for_webhook_users_only_and_is_audited(served):
    with served() as server, http(server) as h:
        r = h.post("/v1/alerts", json={"alerts": [{"labels": {"bay": "enc-l1/1"}}]})
        assert r.status_code == 403
        assert any(e.kind == "access.refused" and e.data["what"] == "POST /v1/alerts"
                   for e in server.service.store.events(0, 100))


def test_what_the_dashboard_offers_agrees_with_what_the_server_allows(served):
    from tui.core.roles import ACTION_ROLE

    grant = {'default = "admin"\n': 'default = "viewer"\n[[roles.grant]]\nuser = "' + ME + '"\n'
             'role = "operator"\ngroups = ["lab"]\n'}
    with served(grant) as server:
        client = server.client()
        for group in ("prod-web", "lab"):
            for action in ACTION_ROLE:
                asked = client.call("GET", "query/may", params={  # the server's own answer
                    "group": json.dumps(group), "action": json.dumps(action)})
                assert client.may(group, action) == asked, (group, action)
        assert client.may("lab", "sim") and not client.may("prod-web", "sim")
    # the dashboard asks role and may for every group at each repaint: they answer from
    # what connect read, without a request (here: the server is gone)
    assert client.role("lab") == "operator" and client.role("prod-web") == "viewer"
    assert client.may("lab", "sim") and not client.may("prod-web", "sim")


def test_which_server_a_client_uses(tmp_path, monkeypatch):
    """--server, then $BAYOPS_SERVER, then the user config's server, then the site socket;
    'none' runs embedded whatever comes after."""
    import dataclasses
    import socket as sockets

    from tui.client import find_server
    from tui.core.config import load_config

    config = load_config(write_config(tmp_path / "config.toml"))
    site = tmp_path / "site.sock"
    monkeypatch.setenv("BAYOPS_SITE_SOCKET", str(site))
    monkeypatch.delenv("BAYOPS_SERVER", raising=False)
    assert find_server(None, config) == (None, "no server configured")
    listener = sockets.socket(sockets.AF_UNIX)
    listener.bind(str(site))
    assert find_server(None, config) == (f"unix:{site}", f"the site socket {site}")
    configured = dataclasses.replace(config, server="https://bayops.example:8443")
    assert find_server(None, configured)[0] == "https://bayops.example:8443"
    monkeypatch.setenv("BAYOPS_SERVER", "unix:/elsewhere.sock")
    assert find_server(None, configured) == ("unix:/elsewhere.sock", "$BAYOPS_SERVER")
    assert find_server("none", configured) == (None, "--server")
    listener.close()


def test_a_viewer_cannot_record_a_rediscovery_or_resume_jobs_through_the_service(served):
    with served(VIEWER_ONLY) as server:
        client = server.client()
        with pytest.raises(Refused) as refused:
            client.rediscover("enc-w1")
        assert "rediscover needs limited-operator" in refused.value.message
        assert client.rediscover("enc-w1", record=False) == []  # a dry run stays open
        assert server.service.core_for(ME).serving, "resume through the service needs a role"


def test_a_remote_archive_goes_only_under_the_services_archive_folder(served, tmp_path):
    """A remote admin names the file, not the place: an absolute path, a climb out or a
    symlink out is refused (nothing written); a plain name lands in the archive folder."""
    import time as clock

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with served() as server:
        folder = server.service.store.path.parent / "archive"
        folder.mkdir(exist_ok=True)
        (folder / "escape").symlink_to(outside)
        with http(server) as h:
            before = clock.time()
            for to in (str(outside / "x.jsonl.gz"), "../x.jsonl.gz", "escape/x.jsonl.gz"):
                r = h.post("/v1/run/archive", json={"before": before, "to": to})
                assert r.status_code == 403 and r.json()["code"] == "outside-archive-folder", r.text
            assert not list(outside.iterdir()) and not (folder.parent / "x.jsonl.gz").exists()
            r = h.post("/v1/run/archive", json={"before": before, "to": "mine.jsonl.gz"})
            assert r.status_code == 200, r.text
        assert (folder / "mine.jsonl.gz").is_file()


def test_an_acknowledgement_is_served_role_checked_and_audited(served):
    with served() as server:
        client = server.client()
        client.sim_fault("enc-w1/3", "critical")
        done = client.ack(["enc-w1/3"], "on it")
        assert [(b.id, b.acked_by) for b in done] == [("enc-w1/3", ME)]
        event = client.events(0, 50, newest=True)[-1]
        assert event.kind == "bay.acknowledged" and event.data["comment"] == "on it"
    with served(VIEWER_ONLY) as server:
        client = server.client()
        with pytest.raises(Refused) as refused:
            client.ack(["enc-w1/5"])
        assert "ack needs limited-operator" in refused.value.message
        assert any(e.kind == "access.refused" for e in client.events(0, 100))


def test_a_served_run_followed_on_stderr_asks_the_newest_job_once(tmp_path, state, monkeypatch,
                                                                   capsys):
    """The CLI's step follower and the client's own search for a lost answer both need the
    newest job before the run: asked once for both (it was asked twice), and the steps
    said are the run's own job's."""
    from tui.cli import progress

    monkeypatch.setattr(progress, "AFTER", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.01)
    slow = write_config(tmp_path / "slow.toml", latency={"power_on": 0.3})  # steps to see
    with InProcessServer(slow, state, socket_path(tmp_path)) as server:
        client = server.client()
        client.sim_fault("enc-w1/3", "critical")
        asked: list[str] = []
        call = client.call

        def counted(method, path, *args, **kwargs):
            if threading.current_thread() is threading.main_thread():  # not the follower's
                asked.append(f"{method} {path}")
            return call(method, path, *args, **kwargs)

        monkeypatch.setattr(client, "call", counted)
        with progress.JobProgress(client):
            job = client.failover("enc-w1/3")
        started = asked.index("POST run/failover")
        assert asked[:started].count("GET query/jobs") == 1, asked
        said = capsys.readouterr().err.splitlines()
        last = f"bayops: job {job.id} step {job.steps[-1].seq} [done] {job.steps[-1].name}"
        assert any(line.startswith(last) for line in said), said
