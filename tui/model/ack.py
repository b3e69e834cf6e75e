"""What may be acknowledged: the one rule the core applies and the dashboard asks before
a comment is typed."""
from __future__ import annotations

from tui.model.entities import Bay
from tui.model.errors import Refused
from tui.model.text import quoted

ACKABLE = ("critical", "warning", "unknown")  # what "needs attention" and may be acknowledged


def unackable(bay: Bay) -> Refused | None:
    """Why ``bay`` cannot be acknowledged whoever asks (the dashboard asks before the
    comment is typed), or None."""
    if bay.empty:
        return Refused(f"bay {bay.id} is empty: nothing to acknowledge", code="empty-bay")
    if bay.health not in ACKABLE:
        return Refused(f"bay {bay.id} is {bay.health}: only a critical, warning or unreadable "
                       "bay is acknowledged", code="not-critical")
    if bay.acked_by is not None:
        return Refused(f"bay {bay.id} is already acknowledged by {quoted(bay.acked_by)}",
                       code="already-acked")
    return None
