"""Pure formatting for the dashboard: bay rows, badges, durations, event lines.

No Textual here and no I/O: every function takes core data and returns strings or
tuples of (text, style-name) pairs, so it can be tested without a screen. Status is
always spelled out in a word or an ASCII glyph beside the colour, so a monochrome
terminal or NO_COLOR loses nothing.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from tui.humanize import duration  # the screens use it as fmt.duration too
from tui.model.entities import Bay, Event, Job, Maintenance, Step
from tui.model.text import printable


def plain(*lines: object, style: str = "") -> Text:
    """Data for a widget: each line printable (tui.model.text), never parsed as markup."""
    return Text("\n".join(printable(line) for line in lines), style=style)

# Health: glyph + word. Colour comes from the style name ("crit", "warn", ...).
HEALTH_TEXT = {"ok": "  ok", "warning": "! WARN", "critical": "X CRIT", "unknown": "? UNKN"}
HEALTH_STYLE = {"ok": "ok", "warning": "warn", "critical": "crit", "unknown": "crit"}
HEALTH_RANK = {"critical": 0, "unknown": 1, "warning": 2, "ok": 3}
POWER_TEXT = {"on": "on", "off": "off", "unknown": "?unk"}
SEVERITY_TEXT = {"info": "info", "warning": "WARN", "critical": "CRIT"}
SEVERITY_STYLE = {"info": "info", "warning": "warn", "critical": "crit"}
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
STEP_TEXT = {"done": "[done]", "running": "[ >> ]", "failed": "[FAIL]", "interrupted": "[INTR]",
             "skipped": "[skip]"}
JOB_STATE_TEXT = {"running": "run", "interrupted": "INTR", "done": "done", "failed": "FAIL"}
JOB_STATE_STYLE = {"running": "job", "interrupted": "crit", "done": "ok", "failed": "crit"}



def short_model(model: str | None) -> str:
    """'ProLiant BL460c Gen10' -> 'BL460c G10' (fits a narrow column)."""
    if not model:
        return "(empty)"
    text = model.replace("ProLiant ", "")
    return re.sub(r"\bGen(\d+)", r"G\1", text)


def maintenance_badge(m: Maintenance, now: float) -> tuple[str, str]:
    """('[MAINT alice 3h59m left]', 'maint') or the expired form."""
    if m.expired(now):
        return f"[MAINT {m.owner} EXPIRED {duration(now - m.expires)} ago]", "crit"
    return f"[MAINT {m.owner} {duration(m.expires - now)} left]", "maint"


def unspared_text(unspared: list[tuple[str, str | None, str | None]]) -> str:
    """The header's words for profiles no ready spare would take: the first model's
    generation (a spare of another one is none) and its group, and how many more."""
    if not unspared:
        return ""
    group, model, generation = unspared[0]
    more = f" +{len(unspared) - 1}" if len(unspared) > 1 else ""
    return f"no spare {generation or short_model(model)} in {group}{more}"


def needs_attention(bay: Bay) -> bool:
    """The whole-fleet attention view: failed or suspect, unreadable, or a job on it, or a
    profile still running on a drained enclosure (a partial evacuation left it there)."""
    if bay.empty:
        return False
    return (bay.health != "ok" or bay.power == "unknown" or bay.job_id is not None
            or bay.flag is not None or (bay.profile is not None and bay.power == "off")
            or (bay.profile is not None and bay.drained))


def alerting(bay: Bay) -> bool:
    """Critical and not acknowledged: counts in the terminal title, rings the bell."""
    return not bay.empty and bay.health == "critical" and bay.acked_by is None


def attention_rank(bay: Bay) -> tuple[int, int]:
    """Most urgent first: critical, unreadable or unknown, warning, then the rest (a job on
    it, a profile powered off); an acknowledged critical bay after the unacknowledged."""
    if bay.health == "critical":
        rank = 0
    elif bay.health == "unknown" or bay.power == "unknown":
        rank = 1
    elif bay.health == "warning":
        rank = 2
    else:
        rank = 3
    return rank, 1 if bay.acked_by else 0


def quick_filter(name: str) -> Callable[[Bay], bool]:
    return {
        "critical": lambda b: not b.empty and b.health in ("critical", "unknown"),
        "spares": lambda b: b.spare,
        "unassigned": lambda b: not b.empty and b.profile is None and not b.spare,
        "maintenance": lambda b: b.maintenance,
    }[name]


def search_text(bay: Bay) -> str:
    return " ".join(str(x) for x in (
        bay.id, bay.domain, bay.group, bay.model or "empty", bay.power, bay.health,
        bay.profile or "unassigned", bay.boot_mode or "", "spare" if bay.spare else "",
        "maintenance" if bay.maintenance else "", f"job{bay.job_id}" if bay.job_id else "",
        "flagged" if bay.flag else "", "drained" if bay.drained else "", bay.note or "",
    )).lower()


# -- bay table columns ----------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    priority: int  # lower survives longer when the pane is narrow
    cell: Callable[[Bay], tuple[str, str]]  # (text, style name)
    sort: Callable[[Bay], tuple[object, ...]]  # compared element-wise


def _health(b: Bay) -> tuple[str, str]:
    if b.empty:
        return "", "dim"
    return HEALTH_TEXT.get(b.health, b.health), HEALTH_STYLE.get(b.health, "")


def _power(b: Bay) -> tuple[str, str]:
    if b.empty:
        return "", "dim"
    return POWER_TEXT.get(b.power, b.power), "crit" if b.power == "unknown" else (
        "dim" if b.power == "off" else "")


def _profile(b: Bay) -> tuple[str, str]:
    if b.empty:
        return "", "dim"
    if b.profile is None:
        return ("-" if b.spare else "(none)"), "dim"
    return b.profile, ""


def _spare(b: Bay) -> tuple[str, str]:
    return ("spare", "spare") if b.spare else ("", "")


def _job(b: Bay) -> tuple[str, str]:
    parts = []
    if b.job_id is not None:
        parts.append(f"#{b.job_id}")
    if b.maintenance:
        parts.append("MAINT")
    if b.acked_by is not None:
        parts.append("ack")
    if b.flag is not None:  # a server changed under a profile: held out until cleared
        parts.insert(0, "FLAG")
    if b.drained:
        parts.append("drain")
    style = "crit" if b.flag is not None else "job" if b.job_id is not None else (
        "maint" if b.maintenance or b.drained else "")
    return " ".join(parts), style


COLUMNS: tuple[Column, ...] = (
    Column("bay", "BAY", 10, 0, lambda b: (b.id, "dim" if b.empty else ""),
           lambda b: (b.enclosure, b.number)),
    Column("health", "HEALTH", 6, 0, _health,
           lambda b: (b.empty, HEALTH_RANK.get(b.health, 9), b.enclosure, b.number)),
    Column("power", "PWR", 4, 1, _power, lambda b: (b.empty, b.power, b.enclosure, b.number)),
    Column("profile", "PROFILE", 9, 0, _profile,
           lambda b: (b.profile is None, b.profile or "", b.enclosure, b.number)),
    Column("spare", "SPARE", 5, 2, _spare, lambda b: (not b.spare, b.enclosure, b.number)),
    Column("job", "JOB", 6, 1, _job, lambda b: (b.job_id is None, b.job_id or 0, not b.maintenance)),
    Column("boot", "BOOT", 5, 3, lambda b: (b.boot_mode or "", ""),
           lambda b: (b.boot_mode or "~", b.enclosure, b.number)),
    Column("model", "MODEL", 10, 4, lambda b: (short_model(b.model), "dim" if b.empty else ""),
           lambda b: (b.model or "~", b.enclosure, b.number)),
    Column("domain", "DOMAIN", 10, 5, lambda b: (b.domain, ""), lambda b: (b.domain, b.enclosure, b.number)),
    Column("note", "NOTE", 12, 2, lambda b: (printable(b.note or ""), "info"),
           lambda b: (b.note is None, b.note or "", b.enclosure, b.number)),
)
BAY_WIDTH_MAX = 20  # a longer enclosure name is cut in the middle, not the other columns
COLUMN_ORDER = ("bay", "model", "power", "health", "profile", "boot", "spare", "job", "note", "domain")
SORT_KEYS = ("bay", "health", "power", "profile", "model", "domain", "spare", "job", "boot")
_BY_KEY = {c.key: c for c in COLUMNS}


def fit_columns(width: int, widths: dict[str, int] | None = None,
                skip: tuple[str, ...] = ()) -> list[tuple[Column, int]]:
    """The columns that fit ``width`` (dropping low-priority ones, and ``skip``), in display
    order, each with its width; spare room goes to MODEL, PROFILE and DOMAIN."""
    widths = dict(widths or {})
    chosen = sorted((c for c in COLUMNS if c.key not in skip), key=lambda c: c.priority)
    cols = []
    used = 0
    for c in chosen:
        need = widths.get(c.key, c.width) + 1
        if used + need <= width:
            cols.append(c)
            used += need
    cols.sort(key=lambda c: COLUMN_ORDER.index(c.key))
    sizes = [widths.get(c.key, c.width) for c in cols]
    spare = width - used
    # a little for each first; what a wide terminal has left goes to the names
    for key, cap in (("model", 4), ("profile", 4), ("domain", 4), ("bay", 2), ("health", 2),
                     ("profile", 20), ("domain", 20), ("model", 10), ("note", 40)):
        for i, c in enumerate(cols):
            if c.key == key and spare > 0:
                extra = min(cap, spare)
                sizes[i] += extra
                spare -= extra
    return list(zip(cols, sizes, strict=True))


def bay_cells(bay: Bay, columns: list[tuple[Column, int]]) -> list[tuple[str, str]]:
    """[(padded text, style name)] for one row; a single space separates columns."""
    cells = []
    acked = bay.acked_by is not None  # acknowledged: dimmed, still listed, "ack" in JOB
    for column, width in columns:
        text, style = column.cell(bay)
        if column.key == "bay" and len(text) > width:  # keep "/<n>": the part that differs
            tail = text[text.rfind("/"):]
            text = text[:max(0, width - len(tail) - 1)] + "…" + tail
        elif column.key == "note" and len(text) > width:  # a note says it goes on
            text = text[:width - 1] + "…"
        cells.append((text[:width].ljust(width) + " ", "dim" if acked else style))
    return cells


def sort_key(name: str) -> Callable[[Bay], tuple[object, ...]]:
    return _BY_KEY[name].sort


# -- events and jobs ------------------------------------------------------------------------
def event_when(ts: float, today: str | None = None) -> str:
    """'03:46:40' today, '2025-06-11 03:46:40' on another day (``today`` as YYYY-MM-DD)."""
    t = time.localtime(ts)
    day = time.strftime("%Y-%m-%d", t)
    clock = time.strftime("%H:%M:%S", t)
    return clock if day == today else f"{day} {clock}"


def event_parts(e: Event, today: str | None = None) -> list[tuple[str, str]]:
    return [(f"{event_when(e.ts, today)} ", "dim"),
            (f"{SEVERITY_TEXT.get(e.severity, e.severity):4} ", SEVERITY_STYLE.get(e.severity, "")),
            (f"{e.message}", ""), (f" [{e.operator}]", "dim")]


def event_text(e: Event) -> str:
    return "".join(t for t, _ in event_parts(e)) + " " + e.source


def wrap_parts(parts: list[tuple[str, str]], width: int, indent: int = 2) -> list[list[tuple[str, str]]]:
    """``parts`` (made printable) broken into lines of at most ``width`` characters, at a
    space where there is one; continuation lines are indented."""
    text = "".join(printable(t) for t, _ in parts)
    styles = [name for t, name in parts for _ in printable(t)]
    lines: list[list[tuple[str, str]]] = []
    start = 0
    while start < len(text) or not lines:
        room = max(1, width - (indent if lines else 0))
        end = len(text)
        if end - start > room:
            cut = text.rfind(" ", start + 1, start + room + 1)
            end = cut + 1 if cut > start else start + room
        line: list[tuple[str, str]] = [(" " * indent, "")] if lines else []
        i = start
        while i < end:
            j = i
            while j < end and styles[j] == styles[i]:
                j += 1
            line.append((text[i:j], styles[i]))
            i = j
        lines.append(line)
        start = end
    return lines


def event_detail(e: Event) -> Text:
    """One event whole, for the detail screen: every field and every structured datum,
    plain text (selectable, copyable), wrapped by the widget."""
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(e.ts))
    rows = [("when", when), ("severity", SEVERITY_TEXT.get(e.severity, e.severity)),
            ("source", e.source), ("kind", e.kind), ("operator", e.operator),
            ("job", f"#{e.job_id}" if e.job_id is not None else "-"), ("event", f"#{e.seq}")]
    out = Text()
    out.append(printable(e.message) + "\n\n", style="bold")
    for name, value in rows:
        out.append(f"{name:>9}  ", style="dim")
        out.append(printable(value) + "\n")
    if e.data:
        out.append("\ndata\n", style="bold")
        for key in sorted(e.data):
            value = e.data[key]
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
            out.append(f"  {printable(key)}: ", style="dim")
            out.append(printable(shown) + "\n")
    return out


def job_progress(job: Job) -> str:
    """Steps are journaled as they start, so their total is not known ahead: '2 done,
    step 3: apply profile web-003' rather than a misleading '2/3'."""
    done = sum(s.state == "done" for s in job.steps)
    current = next((s for s in reversed(job.steps) if s.state == "running"), None)
    if current is None:
        return f"{done} done" if job.steps else "starting"
    return f"{done} done, step {current.seq}: {current.name}"


def retried(step: Step, job: Job) -> bool:
    """An interrupted step that a later step of the same name took over (an older
    release journaled it as failed)."""
    return step.state in ("interrupted", "failed") and any(
        s.seq > step.seq and s.name == step.name for s in job.steps)


def job_line(job: Job) -> list[tuple[str, str]]:
    state = JOB_STATE_TEXT.get(job.state, job.state)
    return [(f"#{job.id} ", ""), (f"{state:4} ", JOB_STATE_STYLE.get(job.state, "")),
            (job.summary, "")]


def step_line(step: Step, job: Job | None = None) -> list[tuple[str, str]]:
    if job is not None and retried(step, job):
        return [("  ", ""), ("[RTRY] ", "dim"), (f"{step.name}: interrupted, retried", "dim")]
    style = {"done": "ok", "running": "job", "failed": "crit", "interrupted": "crit"}.get(step.state, "")
    detail = f": {step.detail}" if step.detail and step.state != "running" else ""
    return [("  ", ""), (STEP_TEXT.get(step.state, step.state) + " ", style),
            (step.name + detail, "dim" if step.state == "done" else "")]
