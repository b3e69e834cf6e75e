"""``Store``: every table of the state, one class (the package's docstring says how)."""
from __future__ import annotations

from tui.core.store.archives import ArchiveTables
from tui.core.store.cycle import CycleTables
from tui.core.store.events import EventTables
from tui.core.store.feed import FeedTables
from tui.core.store.fleet import FleetTables
from tui.core.store.jobs import JobTables
from tui.core.store.lease import LeaseTables
from tui.core.store.story import StoryTables
from tui.core.store.tokens import TokenTables
from tui.core.store.upkeep import UpkeepTables


class Store(CycleTables, FeedTables, ArchiveTables, EventTables, JobTables, FleetTables, TokenTables,
            LeaseTables, UpkeepTables, StoryTables):
    """Every table of the state file; see the mixins for each part."""
