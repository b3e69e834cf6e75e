"""The faces' declared interface (tui.client.protocol.Client) and the API derived from the
Core: both clients have every member, and a new operation is served with no other edit."""
from __future__ import annotations

import inspect
from typing import Any

import pytest

from tui.client.protocol import Client, ClientStore
from tui.client.remote import RemoteCore, remote_class
from tui.core.api import Core, served
from tui.core.store import Store
from tui.model.api import query
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


# -- a new operation: a Core method pair and nothing else ---------------------------------------
class ToyCore(Core):
    """What an ops module's plan/run pair looks like on the Core (tests only)."""

    def plan_toy_ping(self, bay: str, loud: bool = False) -> Plan:
        raise AssertionError("not called: the remote client asks the server")

    def toy_ping(self, bay: str, loud: bool = False, expect: Plan | None = None) -> str:
        raise AssertionError("not called")

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
    remote.read_only, remote.operator = False, "me"
    remote.call = Recorder({"run/toy-ping": "pong", "query/toy_count": 3, "query/jobs": []})
    assert remote.toy_ping("enc-w1/3", loud=True) == "pong"
    assert remote.toy_count(group="lab") == 3
    sent = [(m, p, b) for m, p, b, _ in remote.call.sent]
    assert ("POST", "run/toy-ping", {"bay": "enc-w1/3", "loud": True}) in sent
    assert remote.call.sent[-1][3] == {"group": '"lab"'}
    with pytest.raises(TypeError):
        remote.toy_ping("enc-w1/3", colour="red")
