"""One registry of the dashboard's commands. It feeds the main screen's BINDINGS (each
with an id that config.toml can remap), the footer, the `?` help screen and the
command palette, so the four never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

# Keys that terminals or tmux eat: ctrl+h/i/j/m arrive as backspace/tab/enter, ctrl+s/q
# are flow control, ctrl+a/b are screen/tmux prefixes, ctrl+hjkl move between tmux panes.
UNSAFE_KEYS = frozenset({"ctrl+h", "ctrl+i", "ctrl+j", "ctrl+m", "ctrl+s", "ctrl+q", "ctrl+a",
                         "ctrl+b", "ctrl+k", "ctrl+l", "tab", "enter", "backspace"})


@dataclass(frozen=True)
class Command:
    id: str
    key: str
    action: str  # action on the main screen
    label: str  # footer / palette title
    help: str
    perm: str | None = None  # core.may() action name, None = always allowed
    target: str = ""  # what the command acts on: bay, domain, group, ""
    changes: bool = False  # changes state: always confirmed, never on an unsafe key
    footer: bool = False
    sim_only: bool = False
    confirmed: bool = True  # a change shows its plan first (acknowledging does not)


COMMANDS: tuple[Command, ...] = (
    Command("failover", "f", "failover", "Failover",
            "Fail the selected bay's profile over to the best spare of its group", "failover",
            "bay", True, True),
    Command("failover-force", "F", "failover_force", "Force failover",
            "Fail over even a healthy bay (planned evacuation); the plan says it is forced",
            "failover", "bay", True),
    Command("ack", "A", "ack", "Acknowledge",
            "Acknowledge the selected critical, warning or unreadable bay, with an optional "
            "comment: recorded with your name in the event log (no job); it stays listed, "
            "dimmed, and no longer rings or counts in the title or the header's CRIT",
            "ack", "bay", True, confirmed=False),
    Command("ack-visible", "K", "ack_visible", "Ack visible",
            "Acknowledge every unacknowledged critical, warning or unreadable bay the bays "
            "pane shows (e.g. the attention view), in one act with one comment", "ack", "bay",
            True, confirmed=False),
    Command("note", "N", "note", "Note",
            "Leave a note on the selected bay for the next shift (shown in its row, recorded "
            "with your name in the event log), or clear it; Enter on a bay shows its notes",
            "note", "bay", True),
    Command("move", "m", "move", "Move",
            "Move the selected bay's profile to a bay you choose (invalid targets show why)",
            "move", "bay", True, True),
    Command("spare", "t", "toggle_spare", "Spare",
            "Add the selected bay to its group's spare pool, or remove it", "spares", "bay",
            True, True),
    Command("maintenance-start", "M", "maintenance_start", "Maint",
            "Start maintenance on the selected domain (exclusive, leased lock)", "maintenance",
            "domain", True, True),
    Command("maintenance-edit", "E", "maintenance_edit", "Edit domain",
            "Change the configuration of the domain in maintenance (network, fabric, firmware, user)",
            "domain-set", "domain", True, True),
    Command("maintenance-complete", "C", "maintenance_complete", "Complete",
            "Complete maintenance: show the diff, then propagate it to the rest of the group",
            "maintenance", "domain", True, True),
    Command("maintenance-cancel", "X", "maintenance_cancel", "Cancel maint",
            "Cancel maintenance: revert the domain to the group baseline", "maintenance",
            "domain", True, True),
    Command("policy", "P", "policy", "Policy",
            "Set the auto-failover mode (manual, alert, auto) and window of the selected group",
            "policy", "group", True),
    Command("ports", "p", "ports", "Ports",
            "Uplink ports of the selected domain: link, speed, networks carried, errors and "
            "their rate (read every 2 s)",
            "view", "domain"),
    Command("what-if", "W", "what_if", "What if",
            "What if the selected enclosure, domain or bay failed now: which profiles find a "
            "spare (simulated with the failover's choice; nothing changes); on a group or the "
            "fleet, each enclosure in turn"),
    Command("rediscover", "R", "rediscover", "Rediscover",
            "Read what is in the bays now (the selected bay, enclosure, or the whole fleet): "
            "inserted, removed and swapped blades; a server changed under a profile is flagged"),
    Command("clear-flag", "U", "clear_flag", "Clear flag",
            "Clear the selected flagged bay: the server now in it may be used again", "spares",
            "bay", True),
    Command("failback", "b", "failback", "Failback",
            "Move the selected bay's failed-over profile back to its home bay (or bring home "
            "the profile whose home the selected bay is), once that bay is healthy again",
            "move", "bay", True),
    Command("evacuate", "e", "evacuate", "Evacuate",
            "Move every profile off the selected enclosure (planned work) and drain it: no "
            "failover target, no spare use, until restore", "move", "bay", True),
    Command("restore", "r", "restore", "Restore",
            "Move an evacuated enclosure's profiles back to their bays and undrain it", "move",
            "bay", True),
    Command("fault", "i", "fault", "Inject fault",
            "Simulator: inject a fault into the selected bay", "sim", "bay", True, sim_only=True),
    Command("heal", "h", "heal", "Heal",
            "Simulator: clear the selected bay's fault", "sim", "bay", True, sim_only=True),
    Command("filter", "slash", "filter", "Filter",
            "Filter the bays (or, from the event log, the events) by text", footer=True),
    Command("clear-filter", "escape", "clear_filter", "Clear filter",
            "Clear the text and quick filters"),
    Command("quick-critical", "c", "quick('critical')", "Only critical",
            "Quick filter: critical or unreadable bays (again: off)"),
    Command("quick-spares", "s", "quick('spares')", "Only spares", "Quick filter: spare bays"),
    Command("quick-unassigned", "u", "quick('unassigned')", "Only unassigned",
            "Quick filter: servers without a profile that are not spares"),
    Command("quick-maintenance", "n", "quick('maintenance')", "Only in maintenance",
            "Quick filter: bays of domains in maintenance"),
    Command("goto", "colon", "goto", "Go to",
            "Go to a bay, profile, domain, enclosure or group by (fuzzy) name"),
    Command("copy", "y", "copy", "Copy",
            "Copy the selected bay's id to the clipboard (OSC 52); again: its profile, first MAC, "
            "and for a critical bay the suggested failover command"),
    Command("attention", "a", "attention", "Attention",
            "Whole fleet: every bay that needs attention", footer=True),
    Command("sort", "o", "sort_next", "Sort", "Sort the bays by the next column"),
    Command("sort-reverse", "O", "sort_reverse", "Reverse sort", "Reverse the sort order"),
    Command("severity", "v", "severity", "Severity",
            "Event log: cycle the minimum severity (info, warning, critical)"),
    Command("events-wrap", "w", "wrap_events", "Wrap",
            "Event log: wrap long lines (again: one line per event, cut at the pane width)"),
    Command("handover", "H", "handover", "Hand-over",
            "What changed since you last looked: new failures, who did what, open acks, "
            "drains, maintenance leases, possible failbacks, the policy's decisions"),
    Command("open-job", "J", "open_job", "Open job",
            "Open the job selected in the jobs pane: its journal, and for a failover why that "
            "spare was chosen"),
    Command("focus-groups", "1", "focus_pane('groups')", "Groups pane", "Move to the groups pane"),
    Command("focus-bays", "2", "focus_pane('bays')", "Bays pane", "Move to the bays pane"),
    Command("focus-events", "3", "focus_pane('events')", "Events pane", "Move to the event log"),
    Command("focus-jobs", "4", "focus_pane('jobs')", "Jobs pane", "Move to the jobs pane"),
    Command("next-pane", "tab", "next_pane(1)", "Next pane", "Move to the next pane"),
    Command("prev-pane", "shift+tab", "next_pane(-1)", "Previous pane",
            "Move to the previous pane"),
    Command("zoom", "z", "zoom", "Zoom", "Maximise the focused pane, or restore it"),
    Command("theme", "T", "app.change_theme", "Theme",
            "Choose a theme (kept next to the state database; your config is not touched)"),
    Command("help", "question_mark", "help", "Help", "Show every key", footer=True),
    Command("quit", "q", "quit", "Quit", "Quit (asks first when a job is running)", footer=True),
)
BY_ID = {c.id: c for c in COMMANDS}
BY_ACTION = {c.action: c for c in COMMANDS}


def bindings() -> list[BindingType]:
    return [Binding(c.key, c.action, c.label, show=c.footer, id=c.id,
                    priority=c.id in ("next-pane", "prev-pane"))
            for c in COMMANDS]


def normalise_key(key: str) -> str:
    return {"/": "slash", "?": "question_mark", ":": "colon"}.get(key, key)


def check_keymap(keys: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the usable part of config.keys, one problem line per entry dropped)."""
    good: dict[str, str] = {}
    problems = []
    known = set(BY_ID) | _widget_binding_ids()
    for binding_id, key in keys.items():
        if binding_id not in known:
            problems.append(f"keys.{binding_id}: no such binding id")
            continue
        parts = [normalise_key(k.strip()) for k in str(key).split(",") if k.strip()]
        cmd = BY_ID.get(binding_id)
        bad = [k for k in parts if k in UNSAFE_KEYS]
        if cmd is not None and cmd.changes and bad:
            problems.append(f"keys.{binding_id}: {bad[0]} is eaten by terminals or tmux; "
                            "not used for an action that changes state")
            continue
        good[binding_id] = ",".join(parts)
    for binding_id in list(good):  # a remap must not steal another command's key
        owners = {c.id: set(good.get(c.id, c.key).split(",")) for c in COMMANDS}
        taken = next((other for other, other_keys in owners.items() if other != binding_id
                      and owners.get(binding_id, set()) & other_keys), None)
        if taken is not None:
            problems.append(f"keys.{binding_id}: {good.pop(binding_id)} is already the key of "
                            f"{taken}; remap that one too")
    return good, problems


def _widget_binding_ids() -> set[str]:
    from tui.app.events_pane import EventLog
    from tui.app.groups_pane import GroupsTree
    from tui.app.linelist import LineList

    ids = set()
    for cls in (LineList, EventLog, GroupsTree):
        for b in cls.BINDINGS:
            if isinstance(b, Binding) and b.id:
                ids.add(b.id)
    return ids | {"confirm.yes", "confirm.no"}
