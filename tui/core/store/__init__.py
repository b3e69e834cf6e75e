"""The one SQLite file that every bayops process on a host shares.

All SQL lives in this package, behind methods named for what they do, so the store can
later move to PostgreSQL behind the same interface. WAL mode lets readers run while one
writer writes; every change runs inside ``write()`` (BEGIN IMMEDIATE; nested use joins
the outer transaction), so two processes never interleave half-changes. The schema
enforces the invariants a second time: a profile's bay is UNIQUE, every address is
UNIQUE, a spare cannot hold a profile, and the event log refuses UPDATE, and DELETE
except of what a recorded archive holds.
Rows come back as the model's named types, never as tuples.
"""
from __future__ import annotations

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from tui.core.store.feed import ChangeSet
    from tui.core.store.lease import Lease
    from tui.core.store.store import Store
    from tui.core.store.tokens import TokenRecord

# Imported when first asked for: `bayops status` reads through tui.core.store.glance
# alone, without the model's classes every table module imports.
_HOMES = {"ChangeSet": "feed", "Lease": "lease", "Store": "store", "TokenRecord": "tokens"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


__all__ = ["ChangeSet", "Lease", "Store", "TokenRecord"]
