"""Picking Redfish JSON apart: links and collection members, checked for shape.

A BMC's answer may lack any of these or hold the wrong type; each helper then
answers "none" rather than raising.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.drivers.redfish.bmc import Bmc
    from tui.drivers.redfish.config import Credentials

MAX_PAGES = 100  # a collection longer than this many pages is broken, not big


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


async def members(bmc: Bmc, cred: Credentials | None, path: str) -> list[str]:
    """Every member path of the collection at ``path``, following
    ``Members@odata.nextLink`` page by page (bounded), each checked to be on this BMC."""
    found: list[str] = []
    seen: set[str] = set()
    page: str | None = path
    while page is not None and page not in seen and len(seen) < MAX_PAGES:
        seen.add(page)
        body, final = await bmc.get_json(page, cred)
        found.extend(bmc.same_origin_path(member, final) for member in member_ids(body))
        following = body.get("Members@odata.nextLink")
        page = bmc.same_origin_path(following, final) if isinstance(following, str) and following else None
    return found
