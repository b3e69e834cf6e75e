"""Go to anything: jump to a bay, profile, domain, enclosure or group by name. `:` opens
the go-to box (``GotoScreen``), which lists the groups, domains and enclosures before
anything is typed; in the ctrl+p palette the same search answers next to the commands.
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from tui.app.fleet import Scope
from tui.app.linelist import LineList, Parts
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.app.main_screen import MainScreen

PLACEHOLDER = "Go to a bay, profile, domain, enclosure or group…"


@dataclass(frozen=True)
class Target:
    text: str  # what is matched and shown
    help: str
    kind: str  # group, domain, enclosure, bay, profile
    name: str  # the scope name, bay id or profile name


KINDS = ("group", "domain", "enclosure", "bay", "profile")
SHOWN = 60  # hits listed: the rest are narrowed by typing more


def scope_targets(main: MainScreen) -> Iterator[Target]:
    """The groups, domains and enclosures (a few hundred at most)."""
    for g in main.snapshot.groups:
        yield Target(f"group {g.name}", f"{g.bays} bays, policy {g.policy.mode}", "group", g.name)
        for d in g.domains:
            yield Target(f"domain {d.name}", f"group {g.name}, {d.bays} bays", "domain", d.name)
            for e in d.enclosures:
                yield Target(f"enclosure {e.name}", f"domain {d.name}, {e.servers}/{e.bays} servers",
                             "enclosure", e.name)


def _bay_target(main: MainScreen, kind: str, bay_id: str) -> Target:
    b = main.snapshot.by_id[bay_id]
    if kind == "profile":
        return Target(f"profile {b.profile}", f"in bay {b.id}", "profile", b.profile or "")
    state = "empty" if b.empty else ("spare" if b.spare else b.health)
    return Target(f"bay {b.id}", state + (f", profile {b.profile}" if b.profile else ""), "bay", b.id)


class NameIndex:
    """One kind's lowered names, joined one a line: a query is one regular-expression scan
    in C over them, not a Python call per name."""

    def __init__(self, kind: str, names: Iterable[tuple[str, str]]) -> None:  # (lowered, key)
        self.kind = kind
        pairs = list(names)
        self.keys = [key for _, key in pairs]
        self.exact = dict(reversed(pairs))  # the first one wins
        self.text = "".join(low + "\n" for low, _ in pairs)
        self.line_at: dict[int, int] = {}
        at = 0
        for i, (low, _) in enumerate(pairs):
            self.line_at[at] = i
            at += len(low) + 1

    def scan(self, pattern: re.Pattern[str], seen: set[tuple[str, str]], limit: int,
             out: list[tuple[str, str]]) -> None:
        """Add (kind, key) of the lines ``pattern`` matches at their start, in order."""
        for match in pattern.finditer(self.text):
            hit = (self.kind, self.keys[self.line_at[match.start()]])
            if hit not in seen:
                seen.add(hit)
                out.append(hit)
                if len(out) >= limit:
                    return


def _lower(text: str) -> str:
    """``text`` in lower case, the same string when it is already (one string per bay, not two)."""
    low = text.lower()
    return text if low == text else low


def _indexes(main: MainScreen) -> tuple[dict[tuple[str, str], Target], list[NameIndex]]:
    """The scopes by (kind, name) and the five kinds' indexes: built once, and again only
    after the change feed changed the fleet (a bay's profile resets ``Snapshot.goto_built``;
    a change of figures brings new group summaries)."""
    snap = main.snapshot
    built = snap.goto_built
    if built is None or built[0] is not snap.groups:
        scopes = {(t.kind, t.name): t for t in scope_targets(main)}
        indexes = [NameIndex(k, ((n.lower(), n) for kind, n in scopes if kind == k))
                   for k in KINDS[:3]]
        indexes.append(NameIndex("bay", ((_lower(b.id), b.id) for b in snap.bays)))
        indexes.append(NameIndex("profile", ((_lower(b.profile), b.id)
                                             for b in snap.bays if b.profile)))
        built = snap.goto_built = (snap.groups, scopes, indexes)
    return built[1], built[2]


def search(main: MainScreen, query: str, limit: int = SHOWN) -> list[Target]:
    """The targets whose name holds every typed word (a first word naming a kind keeps to
    that kind), best first: the exact name, then names it starts, then names that hold it,
    each scopes before bays before profiles in fleet order; with none, the names that hold
    the letters in order. Milliseconds a keystroke at 16,000 bays."""
    words = query.lower().split()
    kind = words.pop(0) if len(words) > 1 and words[0] in KINDS else None
    if not words:
        return [t for t in scope_targets(main) if kind in (None, t.kind)][:limit]
    scopes, every = _indexes(main)
    indexes = [i for i in every if kind in (None, i.kind)]
    hits: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    whole = "".join(words)
    for index in indexes:
        if whole in index.exact:
            seen.add(hit := (index.kind, index.exact[whole]))
            hits.append(hit)
    holds = "".join(f"(?=[^\n]*{re.escape(w)})" for w in words)
    letters = "[^\n]*?".join(map(re.escape, whole))
    for pattern in (re.escape(whole), holds, f"(?=[^\n]*?{letters})"):
        compiled = re.compile("^" + pattern, re.MULTILINE)
        for index in indexes:
            if len(hits) < limit:
                index.scan(compiled, seen, limit, hits)
        if hits and pattern is holds:
            break  # the letters in order only when nothing holds the words
    return [scopes[hit] if hit in scopes else _bay_target(main, *hit) for hit in hits]


def jump(main: MainScreen, target: Target) -> None:
    """Select the target: a scope in the groups tree, a bay (or a profile's bay) in the
    bays pane."""
    if target.kind in ("group", "domain", "enclosure"):
        main.goto_scope(Scope(target.kind, target.name))
        return
    bay_id = target.name
    if target.kind == "profile":
        found = next((b.id for b in main.snapshot.bays if b.profile == target.name), None)
        if found is None:
            main.notify(f"profile {target.name} is in no bay", title="Go to", timeout=4)
            return
        bay_id = found
    main.goto_bay(bay_id)


class GotoProvider(Provider):
    """Answers typed text in the ctrl+p palette (the fleet's names next to the commands)."""

    def _main(self) -> MainScreen | None:
        from tui.app.main_screen import MainScreen

        screen = self.screen
        return screen if isinstance(screen, MainScreen) else None

    def _hit(self, main: MainScreen, target: Target, score: float, display) -> Hit:
        return Hit(score, display, partial(jump, main, target), text=target.text,
                   help=printable(target.help))

    async def search(self, query: str) -> Hits:
        main = self._main()
        if main is None or not query.strip():
            return
        matcher = self.matcher(query)
        for target in search(main, query):
            text = printable(target.text)
            yield self._hit(main, target, max(matcher.match(text), 0.01), matcher.highlight(text))


class GotoList(LineList):
    def item_key(self, item: Target) -> Hashable:
        return (item.kind, item.name)

    def item_parts(self, item: Target, width: int) -> Parts:
        return [(printable(item.text), ""), ("  " + printable(item.help), "dim")]


class GotoScreen(ModalScreen[Target | None]):
    """The `:` go-to box: answers each keystroke at once from the snapshot's index (no
    worker, so enter always takes what the list shows and a key typed after it reaches
    the screen behind, in order). Up and down move in the list, enter goes there."""

    AUTO_FOCUS = "#goto-input"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="goto.cancel"),
                Binding("enter", "go", "Go", priority=True, id="goto.go"),
                Binding("down", "move(1)", "Next", show=False, id="goto.down"),
                Binding("up", "move(-1)", "Previous", show=False, id="goto.up")]
    DEFAULT_CSS = """
    GotoScreen { align: center top; }
    GotoScreen .dialog { margin-top: 2; width: 100%; max-width: 100; height: auto; }
    GotoScreen GotoList { height: auto; max-height: 16; }
    """

    def __init__(self, main: MainScreen) -> None:
        super().__init__()
        self.main = main

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Input(placeholder=PLACEHOLDER, id="goto-input", select_on_focus=False)
            yield GotoList(id="goto-hits")

    def on_mount(self) -> None:
        _indexes(self.main)  # built as the box opens, not at the first keystroke
        self.query_one(GotoList).set_items(search(self.main, ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one(GotoList).set_items(search(self.main, event.value))

    def action_go(self) -> None:
        """Enter: a priority binding, so the jump is made while the key gate holds the next
        key (the Input's own submit, a message later, let it through to this screen)."""
        hits = self.query_one(GotoList)
        typed = self.query_one("#goto-input", Input).value
        if hits.items != (found := search(self.main, typed)):  # its Changed not handled yet
            hits.set_items(found)
        if hits.current is None:
            self.app.bell()
            return
        self._go(hits.current)

    def on_line_list_activated(self, event: LineList.Activated) -> None:  # a click
        event.stop()
        self._go(event.item)

    def _go(self, target: Target) -> None:
        jump(self.main, target)
        self.dismiss(target)

    def action_move(self, delta: int) -> None:
        self.query_one(GotoList).action_cursor(delta)

    def action_cancel(self) -> None:
        self.dismiss(None)
