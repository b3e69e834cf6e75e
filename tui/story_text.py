"""A bay's story and the hand-over as lines of text with a style name each ('title',
'crit', 'warn', 'dim', ''): the CLI prints the text, the dashboard draws it as plain text
(never markup). Every field that came from the store passes ``printable`` here, where
the line is composed, so a field cannot forge a line."""
from __future__ import annotations

import time

from tui.humanize import duration
from tui.model.entities import Event, Job
from tui.model.story import BayStory, Handover, Note
from tui.model.text import printable

Line = tuple[str, str]
SEVERITY = {"info": "info", "warning": "WARN", "critical": "CRIT"}
STYLE = {"warning": "warn", "critical": "crit"}


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _event(e: Event) -> Line:
    return (f"  {when(e.ts)} {SEVERITY.get(e.severity, e.severity):4} "
            f"{printable(e.message)} ({printable(e.operator)})", STYLE.get(e.severity, ""))


def _note(n: Note, bay: bool = False) -> Line:
    where = f"{printable(n.bay)} " if bay else ""
    text = printable(n.text) if n.text else "(note cleared)"
    return f"  {when(n.at)} {where}{printable(n.by)}: {text}", "" if n.text else "dim"


def steps_summary(job: Job) -> str:
    """'4/4 steps done', '2/5 steps, failed at: power on', '3/4 steps, running: apply'."""
    done = sum(1 for s in job.steps if s.state == "done")
    text = f"{done}/{len(job.steps)} steps"
    bad = next((s for s in job.steps if s.state != "done"), None)
    if bad is None:
        return text + " done"
    return f"{text}, {'failed at' if bad.state == 'failed' else bad.state}: {printable(bad.name)}"


def _section(title: str, lines: list[Line], count: int | None = None) -> list[Line]:
    count = len(lines) if count is None else count
    return [("", ""), (f"{title} ({count})" if lines else f"{title}: none", "title"), *lines]


def _state(story: BayStory) -> list[Line]:
    b = story.bay
    if b.empty:
        return [(f"{b.id}: empty bay (domain {b.domain}, group {b.group})", "title")]
    out: list[Line] = [
        (f"{b.id}: {printable(b.model)} serial {printable(b.serial)} (domain {b.domain}, "
         f"group {b.group})", "title"),
        (f"health {b.health}   power {b.power}   profile {printable(b.profile or '(none)')}"
         + (f" ({b.boot_mode})" if b.boot_mode else "") + ("   spare" if b.spare else ""),
         STYLE.get(b.health, "crit" if b.health == "unknown" else ""))]
    held = [f"held by job {b.job_id}"] if b.job_id is not None else []
    held += ["domain in maintenance"] if b.maintenance else []
    held += [f"enclosure {b.enclosure} drained"] if b.drained else []
    held += [f"FLAGGED: {printable(b.flag)}"] if b.flag else []
    if b.acked_by:
        held.append(f"acknowledged by {printable(b.acked_by)}"
                    + (f" at {when(b.acked_at)}" if b.acked_at else "")
                    + (f": {printable(story.ack_comment)}" if story.ack_comment else ""))
    if held:
        out.append(("; ".join(held), "warn"))
    if story.whereabouts():
        out.append((printable(story.whereabouts()), "warn"))
    if b.note:
        out.append((f"note: {printable(b.note)} ({printable(b.note_by)}"
                    + (f", {when(b.note_at)})" if b.note_at else ")"), ""))
    return out


def story_lines(story: BayStory) -> list[Line]:
    out = _state(story)
    out += _section("Health timeline", [
        (f"  {when(e.ts)} {printable(e.data.get('old'))} -> {printable(e.data.get('new'))}"
         + (f" ({printable(e.data['detail'])})" if e.data.get("detail") else ""),
         STYLE.get(e.severity, "")) for e in story.timeline])
    out += _section("Jobs, newest first", [
        (f"  #{j.id} {j.kind} {j.state} by {printable(j.operator)} {when(j.created)}: "
         f"{printable(j.summary)}; {steps_summary(j)}", "crit" if j.state == "failed" else "")
        for j in story.jobs])
    out += _section("Notes, newest first", [_note(n) for n in story.notes])
    out += _section("Events, newest first", [_event(e) for e in story.events])
    return out


def handover_lines(h: Handover) -> list[Line]:
    start = {"last-look": "your last look", "asked": "the time asked"}.get(
        h.origin, "you have not looked before")
    out: list[Line] = [(f"Hand-over for {printable(h.operator)}: since {when(h.since)} ({start}, "
                        f"{duration(h.until - h.since)} ago)", "title")]
    out += _section("New criticals and warnings", [
        (f"  {when(e.ts)} {printable(e.data.get('bay'))} {printable(e.data.get('old'))} -> "
         f"{printable(e.data.get('new'))}", STYLE.get(e.severity, "")) for e in h.health])
    who: list[Line] = []
    for operator, jobs in sorted(h.by_operator().items()):
        who.append((f"  {printable(operator)}: {len(jobs)} job(s)", ""))
        who += [(f"    #{j.id} {j.kind} {j.state}: {printable(j.summary)}",
                 "crit" if j.state == "failed" else "") for j in jobs]
    out += _section("Who did what: jobs", who, len(h.jobs))
    out += _section("Open acknowledgements", [
        (f"  {b.id} ({b.health}) by {printable(b.acked_by)}"
         + (f" at {when(b.acked_at)}" if b.acked_at else ""), "warn") for b in h.acks])
    out += _section("Drained enclosures", [(f"  {printable(e)}", "warn") for e in h.drained])
    out += _section("Maintenance leases", [
        (f"  {m.domain} by {printable(m.owner)}: "
         + (f"EXPIRED {duration(h.until - m.expires)} ago" if m.expired(h.until)
            else f"{duration(m.expires - h.until)} left") + f": {printable(m.reason)}",
         "crit" if m.expired(h.until) else "") for m in h.leases])
    out += _section("Possible failbacks", [
        (f"  {printable(f.profile)} -> home {f.home} (now on {f.now_on or 'no bay'}): "
         f"bayops failback {printable(f.profile)}", "") for f in h.failbacks])
    out += _section("Auto-failover decisions and refusals", [_event(e) for e in h.policy])
    out += _section("Refused actions", [_event(e) for e in h.refusals])
    out += _section("Notes", [_note(n, bay=True) for n in h.notes])
    return out
