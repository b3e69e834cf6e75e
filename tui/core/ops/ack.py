"""Acknowledging bays: the operator says "seen, I am on it". A direct recorded act, not a
job (nothing touches hardware, nothing to roll back): who, when and an optional comment
are recorded on each bay (readers show it dimmed but still listed) and as one event per
bay; the acknowledgement clears itself when the bay turns healthy (schema 5). Several
bays are acknowledged in one transaction, all or none."""
from __future__ import annotations

import time

from tui.core.context import OpContext
from tui.model.ack import unackable
from tui.model.entities import Bay
from tui.model.errors import BadInput
from tui.model.text import printable

COMMENT_MAX = 200


def acknowledge(ctx: OpContext, bay_ids: list[str], comment: str = "") -> list[Bay]:
    """Acknowledge every bay named, or none (the first refusal says why); the bays as
    recorded."""
    if not bay_ids:
        raise BadInput("no bay to acknowledge", code="no-bay")
    comment = " ".join(printable(comment).split())  # one line: it is shown in rows and logs
    if len(comment) > COMMENT_MAX:
        raise BadInput(f"the comment is {len(comment)} characters; at most {COMMENT_MAX}",
                       code="comment-too-long")
    names = list(dict.fromkeys(bay_ids))  # a bay named twice is acknowledged once
    for group in dict.fromkeys(ctx.bay(name).group for name in names):
        ctx.require(group, "ack")  # before the write: read-only refuses here
    with ctx.store.write():  # checked under the write lock: no one acknowledges it between
        bays = [ctx.bay(name) for name in names]
        for bay in bays:
            refused = unackable(bay)
            if refused is not None:
                raise refused
        when = time.time()
        for bay in bays:
            ctx.store.acknowledge(bay.id, ctx.operator, when)
            said = f": {comment}" if comment else ""
            ctx.event("info", f"bay:{bay.id}", "bay.acknowledged",
                      f"{bay.id} ({bay.health}) acknowledged by {ctx.operator}{said}", None,
                      bay=bay.id, health=bay.health, operator=ctx.operator, comment=comment,
                      together=len(bays))
    return [ctx.bay(name) for name in names]
