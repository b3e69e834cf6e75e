"""A bay's story (its state, health timeline, jobs, events, notes), operator notes on a
bay, and the shift hand-over: what changed since a time or since this operator last
looked. Notes are a direct write (no job: nothing on the hardware changes), audited as
``bay.note`` events, which are also their history."""
from __future__ import annotations

import time

from tui.core.context import OpContext
from tui.core.ops.failback import why_not_home
from tui.model.entities import Bay, Event
from tui.model.errors import BadInput, Refused
from tui.model.story import NOTE_MAX, BayStory, Failback, Handover, Note
from tui.model.text import one_line

NOTE_KIND = "bay.note"
HEALTH_KIND = "health.changed"
ACK_KIND = "bay.acknowledged"
STORY_EVENTS = 200
STORY_JOBS = 30
DEFAULT_LOOKBACK = 12 * 3600.0  # an operator who never looked: the last half day
FUTURE_SLACK = 60.0  # a client's clock a little ahead is not bad input


def note(ctx: OpContext, bay_id: str, text: str | None) -> Note:
    """Leave ``text`` on the bay (None or '': clear its note); the bay row shows the latest."""
    bay = ctx.bay(bay_id)
    ctx.require(bay.group, "note")
    clean = one_line(text or "")
    if len(clean) > NOTE_MAX:
        raise BadInput(f"a note holds at most {NOTE_MAX} characters (this one {len(clean)})",
                       code="note-too-long")
    if text and not clean:
        raise BadInput("the note is empty once control characters are removed",
                       code="empty-note")
    if not clean and bay.note is None:
        raise Refused(f"bay {bay_id} has no note to clear", code="no-note")
    now = time.time()
    with ctx.store.write():
        ctx.store.set_note(bay_id, clean or None, ctx.operator, now)
        ctx.event("info", f"bay:{bay_id}", NOTE_KIND,
                  f"note on {bay_id} by {ctx.operator}: {clean}" if clean
                  else f"note on {bay_id} cleared by {ctx.operator}",
                  bay=bay_id, text=clean)
    return Note(bay_id, clean, ctx.operator, now, ctx.store.last_event_seq())


def _note(event: Event) -> Note:
    return Note(str(event.data.get("bay", "")), str(event.data.get("text", "")),
                event.operator, event.ts, event.seq)


def bay_story(ctx: OpContext, bay_id: str) -> BayStory:
    bay = ctx.bay(bay_id)
    store = ctx.store
    home = None
    if bay.profile is not None:
        profile = store.profile(bay.profile)
        if profile is not None and profile.home not in (None, bay.id):
            home = profile.home
    away = store.homed_at([bay.id]).get(bay.id)
    if away == bay.profile:
        away = None
    away_profile = store.profile(away) if away else None
    events = store.bay_events(bay.id, STORY_EVENTS)
    jobs = tuple(j for j in map(store.job, store.bay_job_ids(bay.id, STORY_JOBS)) if j)
    timeline = tuple(e for e in reversed(events)
                     if e.kind == HEALTH_KIND and e.data.get("bay") == bay.id)
    notes = tuple(_note(e) for e in events if e.kind == NOTE_KIND and e.data.get("bay") == bay.id)
    return BayStory(bay, home, away, away_profile.bay if away_profile else None, timeline,
                    jobs, tuple(events), notes, _ack_comment(bay, events))


def _ack_comment(bay: Bay, events: list[Event]) -> str:
    """The comment of the ack the bay carries: its newest ``bay.acknowledged`` event (an
    ack clears itself when the bay turns healthy, and a later one is a newer event)."""
    if bay.acked_by is None:
        return ""
    ack = next((e for e in events if e.kind == ACK_KIND and e.data.get("bay") == bay.id), None)
    return str(ack.data.get("comment") or "") if ack is not None else ""


def since_for(ctx: OpContext, since: float | None) -> tuple[float, str]:
    """(the start of the hand-over, where it comes from: Handover.origin)."""
    now = time.time()
    if since is not None:
        if since > now + FUTURE_SLACK:
            raise BadInput("the hand-over starts in the future: give a time before now",
                           code="bad-since")
        return since, "asked"
    looked = ctx.store.looked(ctx.operator)
    return (looked, "last-look") if looked is not None else (now - DEFAULT_LOOKBACK, "first-look")


def handover(ctx: OpContext, since: float | None = None) -> Handover:
    """What changed since ``since`` (None: since this operator last looked) and what is
    open now. Reading it marks nothing: the face calls ``mark_looked`` once shown."""
    start, origin = since_for(ctx, since)
    store = ctx.store
    until = time.time()
    events = store.events_after(start)
    health = tuple(e for e in events if e.kind == HEALTH_KIND
                   and e.data.get("new") in ("critical", "unknown", "warning"))
    policy = tuple(e for e in events if e.kind.startswith("policy."))
    refusals = tuple(e for e in events if e.kind == "access.refused")
    notes = tuple(_note(e) for e in events if e.kind == NOTE_KIND)
    homes = store.homes()  # a few, and the acknowledged bays: not the whole fleet's rows
    by_id = {b.id: b for b in store.bays(ids=sorted(set(homes.values())))} if homes else {}
    acked = store.acked_bay_ids()
    failbacks = []
    for name, home in sorted(homes.items()):
        profile, bay = store.profile(name), by_id.get(home)
        if profile is not None and bay is not None and why_not_home(profile, bay) is None:
            failbacks.append(Failback(name, home, profile.bay))
    return Handover(
        operator=ctx.operator, since=start, until=until, origin=origin, health=health,
        jobs=tuple(store.jobs_after(start)),
        acks=tuple(store.bays(ids=acked)) if acked else (),
        drained=tuple(e.name for e in store.enclosures() if e.drained_job is not None),
        leases=tuple(store.maintenance()), failbacks=tuple(failbacks), policy=policy,
        refusals=refusals, notes=notes)


def mark_looked(ctx: OpContext, at: float | None = None) -> float:
    """Record that this operator has seen everything up to ``at`` (a hand-over's
    ``until``; None: now, by this clock); the next hand-over starts there. Read-only:
    nothing recorded."""
    now = time.time()
    at = now if at is None else at
    if at > now + FUTURE_SLACK:
        raise BadInput("a look cannot be in the future", code="bad-looked")
    if not ctx.read_only:
        ctx.store.set_looked(ctx.operator, min(at, now))
    return at
