"""The part of ``Core`` for a bay's story and the shift hand-over (issue 21): notes on a
bay, the bay's detail, and what changed since this operator last looked."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tui.core.context import OpContext
from tui.model.api import action, query

if TYPE_CHECKING:
    from tui.model.story import BayStory, Handover, Note


def __getattr__(name: str) -> Any:
    """The story's types for the annotations tui.model.api reads, imported when first asked
    for (`bayops status` never does)."""
    if name in ("BayStory", "Handover", "Note"):
        return getattr(importlib.import_module("tui.model.story"), name)
    raise AttributeError(name)


class StoryOps(OpContext):
    @query()
    def bay_story(self, bay: str) -> BayStory:
        """The bay now, where its profile belongs, its health timeline, jobs, events, notes."""
        from tui.core.ops import story

        return story.bay_story(self, bay)

    @action
    def note_bay(self, bay: str, text: str | None) -> Note:
        """Leave a note on the bay (None or '': clear it); audited as a bay.note event."""
        from tui.core.ops import story

        return story.note(self, bay, text)

    @query()
    def handover(self, since: float | None = None) -> Handover:
        """What changed since ``since`` (epoch seconds), or since this operator last looked."""
        from tui.core.ops import story

        return story.handover(self, since)

    @action
    def mark_looked(self, at: float | None = None) -> float:
        """This operator has seen the hand-over up to ``at`` (its ``until``; None: now)."""
        from tui.core.ops import story

        return story.mark_looked(self, at)
