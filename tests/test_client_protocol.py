"""The faces' declared interface (tui.client.protocol.Client) and the API derived from the
Core: both clients have every member, and a new operation is its ops module and its Core
pair: registered, run, served and callable remotely with no other edit."""
from __future__ import annotations

import importlib
import inspect
import sys
import threading
from typing import Any

import pytest

from tui.client.protocol import Client, ClientStore
from tui.client.remote import RemoteCore, remote_class
from tui.core.api import Core, served
from tui.core.config import load_config
from tui.core.ops import registry
from tui.core.store import Store
from tui.model import params
from tui.model.api import query
from tui.model.entities import Job
from tui.model.params import UnknownParams
from tui.model.plan import Plan
from tui.server import openapi
from tui.server.app import routes


def members(protocol: type) -> dict[str, Any]:
    """The protocol's own members (and its bases'): name -> the declared function or None
    for a plain attribute."""
    out: dict[str, Any] = {}
    for cls in reversed(protocol.__mro__):
        if cls is object or not getattr(cls, "_is_protocol", False) or cls.__name__ == "Protocol":
            continue
        out.update({n: v for n, v in vars(cls).items() if not n.startswith("_")})
        out.update(dict.fromkeys(getattr(cls, "__annotations__", {})))
    return out


def shape(function: Any) -> list[tuple[str, Any, Any, Any]]:
    """Parameters (without self) as (name, kind, default, annotation text), and the return."""
    sig = inspect.signature(function)
    params = [(p.name, p.kind, p.default, p.annotation) for p in sig.parameters.values()
              if p.name != "self"]
    return [*params, ("return", None, None, sig.return_annotation)]


@pytest.mark.parametrize("name", sorted(members(Client)))
def test_every_client_member_is_on_the_core_and_the_remote_core_with_one_signature(name: str):
    declared = members(Client)[name]
    assert hasattr(Core, name) or name in Core.__annotations__ or name in (
        "operator", "read_only", "config", "store", "driver"), name  # OpContext's attributes
    assert hasattr(RemoteCore, name) or name in ("operator", "read_only", "warnings", "config"), name
    if not inspect.isfunction(declared):
        return
    core, remote = getattr(Core, name), getattr(RemoteCore, name)
    wanted = shape(declared)
    if name not in ("subscribe", "poller"):  # those answer differently; their types agree (mypy)
        assert shape(core) == wanted, f"Core.{name}"
    assert shape(remote)[: len(wanted) - 1] == wanted[:-1] or name == "subscribe", f"RemoteCore.{name}"


def test_every_operation_of_the_core_is_declared_for_the_faces_and_made_for_the_client():
    api = served()
    names = [*api.queries.values(), *api.actions, *(c.plan for c in api.changes),
             *(c.name for c in api.changes)]
    assert set(names) <= set(members(Client)), "declare it in tui/client/protocol.py"
    assert all(callable(getattr(RemoteCore, n)) for n in names)


def test_the_store_reads_are_the_stores_own_and_the_remote_stores():
    for name, declared in members(ClientStore).items():
        if inspect.isfunction(declared):
            assert shape(getattr(Store, name)) == shape(declared), f"Store.{name}"
            assert shape(getattr(RemoteCore.store_class, name)) == shape(declared), name


# -- a new operation: its ops module and its Core pair, nothing else ----------------------------
# 1. The ops module, dropped into tui/core/ops: its params (a JobParams with its kind), its
#    plan, its runner and the job kinds it declares (JOB_KINDS).
TOY_OPS = '''
from dataclasses import dataclass
from typing import ClassVar

from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.model.params import JobParams
from tui.model.plan import Plan


@dataclass(frozen=True)
class ToyPingParams(JobParams):
    kind: ClassVar[str] = "toy-ping"
    bay: str
    loud: bool


def plan(ctx, bay, loud):
    return Plan("toy-ping", f"Ping {bay}", f"ping {bay}", (f"ping {bay}",),
                ToyPingParams(group=ctx.bay(bay).group, bay=bay, loud=loud), locks=(f"bay:{bay}",))


def run(ctx, job, p):
    job.step(StepKey("toy ping", f"ping {p.bay}"), lambda: "PONG" if p.loud else "pong")
    return f"{p.bay} answered"


JOB_KINDS = (JobKind(ToyPingParams, run, resumable=True),)
'''


def toy() -> Any:
    return importlib.import_module("tui.core.ops.toy_ping")


# 2. The typed pair on the Core: the one declaration the route, the openapi entry and the
#    remote client's method derive from (and mypy checks a face's call against).
class ToyCore(Core):
    def plan_toy_ping(self, bay: str, loud: bool = False) -> Plan:
        return toy().plan(self, bay, loud)

    def toy_ping(self, bay: str, loud: bool = False, expect: Plan | None = None) -> Job:
        return self.execute(lambda: toy().plan(self, bay, loud), expect)

    @query()
    def toy_count(self, group: str | None = None) -> int:
        raise AssertionError("not called")


class Recorder:
    """What a RemoteCore sends, answered from ``answers`` by path."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers, self.sent = answers, []

    def __call__(self, method: str, path: str, body: Any = None, params: Any = None,
                 wait: float | None = None) -> Any:
        self.sent.append((method, path, body, params))
        return self.answers.get(path)


@pytest.fixture
def toy_ops(tmp_path, monkeypatch):
    """TOY_OPS as the module tui.core.ops.toy_ping: a file in the ops package."""
    (tmp_path / "toy_ping.py").write_text(TOY_OPS)
    monkeypatch.setattr(sys.modules["tui.core.ops"], "__path__",
                        [*sys.modules["tui.core.ops"].__path__, str(tmp_path)])
    monkeypatch.setattr(params, "PARAMS_BY_KIND", dict(params.PARAMS_BY_KIND))  # put back after
    registry.job_kinds.cache_clear()
    yield
    sys.modules.pop("tui.core.ops.toy_ping", None)
    registry.job_kinds.cache_clear()


def test_a_new_operation_is_its_ops_module_and_core_pair_registered_and_run(toy_ops, state,
                                                                          fast_config):
    core = ToyCore.open(load_config(fast_config), str(state), operator="tester")
    try:
        bay = core.bays()[0].id
        plan = core.plan_toy_ping(bay, loud=True)
        job = core.toy_ping(bay, loud=True, expect=plan)
        assert (job.kind, job.state, job.summary) == ("toy-ping", "done", f"ping {bay}")
        assert [(s.name, s.state, s.detail) for s in job.steps] == [(f"ping {bay}", "done", "PONG")]
        assert core.job(job.id).params == plan.params  # stored, and read back by its kind
    finally:
        core.close()
    assert registry.job_kinds()["toy-ping"].resumable


def test_a_new_operation_is_routed_documented_and_callable_remotely_with_no_other_edit():
    api = served(ToyCore)
    paths = {(m, p) for m, p, _ in routes(api)}
    assert {("POST", "/v1/plan/toy-ping"), ("POST", "/v1/run/toy-ping"),
            ("GET", "/v1/query/toy_count")} <= paths
    assert ("POST", "/v1/plan/toy-ping") not in {(m, p) for m, p, _ in routes()}

    doc = openapi.document(api)["paths"]
    body = doc["/v1/run/toy-ping"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["bay"] and set(body["properties"]) == {"bay", "loud", "expect"}
    assert doc["/v1/query/toy_count"]["get"]["summary"].startswith("Core.toy_count")

    remote = object.__new__(remote_class(api))  # no server: its wire is the recorder below
    remote.read_only, remote.operator, remote._next_run = False, "me", threading.local()
    done = Job.made(UnknownParams(group="lab"), id=7, kind="toy-ping", state="done", operator="me",
                    summary="ping enc-w1/3", created=0.0, finished=1.0, pid=None)
    remote.call = Recorder({"run/toy-ping": done.to_dict(), "query/toy_count": 3, "query/jobs": []})
    assert remote.toy_ping("enc-w1/3", loud=True).id == 7
    assert remote.toy_count(group="lab") == 3
    sent = [(m, p, b) for m, p, b, _ in remote.call.sent]
    assert ("POST", "run/toy-ping", {"bay": "enc-w1/3", "loud": True}) in sent
    assert remote.call.sent[-1][3] == {"group": '"lab"'}
    with pytest.raises(TypeError):
        remote.toy_ping("enc-w1/3", colour="red")
