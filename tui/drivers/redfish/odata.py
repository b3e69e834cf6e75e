"""Picking Redfish JSON apart: links and collection members, checked for shape.

A BMC's answer may lack any of these or hold the wrong type; each helper then
answers "none" rather than raising.
"""

from __future__ import annotations

from typing import Any


def obj(body: dict[str, Any], key: str) -> dict[str, Any]:
    """``body[key]`` if it is a JSON object, else an empty one."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def link(body: dict[str, Any], key: str) -> str | None:
    """The ``@odata.id`` that ``body[key]`` links to, if it is a link."""
    value = body.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("@odata.id"), str):
        return None
    return value["@odata.id"]


def member_ids(collection: dict[str, Any]) -> list[str]:
    """The ``@odata.id`` of every member of a collection, in the BMC's order."""
    members = collection.get("Members")
    return [
        m["@odata.id"]
        for m in (members if isinstance(members, list) else [])
        if isinstance(m, dict) and isinstance(m.get("@odata.id"), str)
    ]
