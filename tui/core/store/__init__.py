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

from tui.core.store.archives import ArchiveTables
from tui.core.store.cycle import CycleTables
from tui.core.store.events import EventTables
from tui.core.store.feed import ChangeSet, FeedTables
from tui.core.store.fleet import FleetTables
from tui.core.store.jobs import JobTables
from tui.core.store.lease import Lease, LeaseTables
from tui.core.store.story import StoryTables
from tui.core.store.tokens import TokenRecord, TokenTables
from tui.core.store.upkeep import UpkeepTables


class Store(CycleTables, FeedTables, ArchiveTables, EventTables, JobTables, FleetTables, TokenTables,
            LeaseTables, UpkeepTables, StoryTables):
    """Every table of the state file; see the mixins for each part."""


__all__ = ["ChangeSet", "Lease", "Store", "TokenRecord"]
