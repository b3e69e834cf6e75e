"""Redfish events -> bayops HardwareEvents: an SSE parser, the record mapping, and
the reading diff used when no stream is live. Pure functions, no I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tui.drivers.redfish.errors import one_line
from tui.model.driver import HardwareEvent


class SseParser:
    """Incremental text/event-stream parser (WHATWG rules we need: data, event, comments)."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""

    def feed(self, line: str) -> tuple[str, str] | None:
        """Feed one line (without its newline). Returns (event, data) when one completes."""
        if line == "":
            if not self._data:
                self._event = ""
                return None
            data = "\n".join(self._data)
            event = self._event or "message"
            self._data, self._event = [], ""
            return event, data
        if line.startswith(":"):
            return None  # comment / keep-alive
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        return None


SEVERITY = {"ok": "info", "warning": "warning", "critical": "critical"}
CPU_RE = re.compile(r"cpu|processor", re.I)
MEM_RE = re.compile(r"memory|dimm", re.I)
ERRORISH_RE = re.compile(r"error|threshold|predict|correctable|ecc|fail", re.I)


def classify(record: dict) -> tuple[str, str]:
    """(kind, severity) for one Redfish EventRecord."""
    message_id = str(record.get("MessageId") or "")
    text = f"{message_id} {record.get('Message') or ''}"
    raw_sev = record.get("MessageSeverity") or record.get("Severity") or "OK"
    severity = SEVERITY.get(str(raw_sev).lower(), "warning")
    short_id = message_id.rsplit(".", 1)[-1]
    if short_id == "ResourceStatusChangedCritical":
        return "critical", "critical"
    if short_id == "ResourceStatusChangedWarning":
        return "warning", "warning"
    if short_id == "ResourceStatusChangedOK":
        return "healed", "info"
    if CPU_RE.search(text) and ERRORISH_RE.search(text):
        return "cpu-threshold", "critical" if severity == "critical" else "warning"
    if MEM_RE.search(text) and ERRORISH_RE.search(text):
        return "memory-errors", "critical" if severity == "critical" else "warning"
    if re.search(r"power", text, re.I):
        if re.search(r"\boff\b|shut ?down", text, re.I):
            return "power-off", severity
        if re.search(r"\bon\b", text, re.I):
            return "power-on", severity
    if severity == "critical":
        return "critical", "critical"
    return "redfish-event", severity


def origin_path(record: dict) -> str | None:
    origin = record.get("OriginOfCondition")
    if isinstance(origin, dict):
        origin = origin.get("@odata.id")
    return origin if isinstance(origin, str) else None


def parse_payload(data: str) -> list[dict]:
    """EventRecords from one SSE ``data`` payload (an Event resource); [] for others."""
    try:
        body = json.loads(data)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    events = body.get("Events")
    if not isinstance(events, list):
        return []
    return [e for e in events if isinstance(e, dict)]


def to_hardware_events(
    records: list[dict], systems: dict[str, str], fallback_bay: str | None
) -> list[HardwareEvent]:
    """Map records to bays. ``systems``: ComputerSystem path -> bay for this BMC.

    A record whose OriginOfCondition is (under) a configured system goes to that bay;
    otherwise to ``fallback_bay`` (the BMC's only bay), else it is dropped.
    """
    out = []
    for record in records:
        path = origin_path(record)
        bay = None
        if path:
            path = path.rstrip("/")
            for sys_path, sys_bay in systems.items():
                if path == sys_path or path.startswith(sys_path + "/"):
                    bay = sys_bay
                    break
        if bay is None:
            bay = fallback_bay
        if bay is None:
            continue
        kind, severity = classify(record)
        message = record.get("Message") or record.get("MessageId") or "Redfish event"
        text = one_line(str(message), 200)
        out.append(HardwareEvent(bay=bay, kind=kind, severity=severity, message=f"{bay}: {text}"))
    return out


@dataclass(frozen=True)
class Observation:
    """What one poll saw of a bay; ``answered`` is False when the BMC did not answer."""

    power: str
    health: str
    answered: bool


def diff(bay: str, old: Observation | None, new: Observation) -> list[HardwareEvent]:
    """HardwareEvents for the change from ``old`` to ``new`` (none for the first look)."""
    if old is None:
        return []
    events: list[HardwareEvent] = []
    if old.answered and not new.answered:
        return [HardwareEvent(bay, "no-answer", "warning", f"{bay}: BMC stopped answering")]
    if not new.answered:
        return []
    regained = not old.answered
    if new.health != old.health or regained:
        if new.health == "critical" and (regained or old.health != "critical"):
            events.append(HardwareEvent(bay, "critical", "critical", f"{bay}: health is critical"))
        elif new.health == "warning" and (regained or old.health != "warning"):
            events.append(HardwareEvent(bay, "warning", "warning", f"{bay}: health is degraded (warning)"))
        elif new.health == "ok" and (regained or old.health in ("warning", "critical")):
            what = "BMC answers again, health ok" if regained else f"health back to ok from {old.health}"
            events.append(HardwareEvent(bay, "healed", "info", f"{bay}: {what}"))
    if old.answered and new.power != old.power and "unknown" not in (old.power, new.power):
        kind = "power-on" if new.power == "on" else "power-off"
        events.append(HardwareEvent(bay, kind, "info", f"{bay}: power went {new.power}"))
    return events
