"""Go to anything: command-palette providers that jump to a bay, profile, domain,
enclosure or group by fuzzy name. In the ctrl+p palette they answer typed text next to
the commands; `:` opens a palette of them alone, which also lists the groups, domains
and enclosures before anything is typed.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from tui.app.fleet import Scope
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


def targets(main: MainScreen, with_bays: bool = True) -> Iterator[Target]:
    snap = main.snapshot
    for g in snap.groups:
        yield Target(f"group {g.name}", f"{g.bays} bays, policy {g.policy.mode}", "group", g.name)
        for d in g.domains:
            yield Target(f"domain {d.name}", f"group {g.name}, {d.bays} bays", "domain", d.name)
            for e in d.enclosures:
                yield Target(f"enclosure {e.name}", f"domain {d.name}, {e.servers}/{e.bays} servers",
                             "enclosure", e.name)
    if not with_bays:
        return
    for b in snap.bays:
        state = "empty" if b.empty else ("spare" if b.spare else b.health)
        yield Target(f"bay {b.id}", f"{state}" + (f", profile {b.profile}" if b.profile else ""),
                     "bay", b.id)
        if b.profile:
            yield Target(f"profile {b.profile}", f"in bay {b.id}", "profile", b.profile)


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
        wanted = set(query.lower().replace(" ", ""))
        for target in targets(main):
            text = printable(target.text)
            if not wanted <= set(text.lower()):  # cheap: 16k bays and their profiles
                continue
            score = matcher.match(text)
            if score > 0:
                yield self._hit(main, target, score, matcher.highlight(text))


class GotoModeProvider(GotoProvider):
    """The `:` palette: before anything is typed, the groups, domains and enclosures."""

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for target in targets(main, with_bays=False):
            yield DiscoveryHit(printable(target.text), partial(jump, main, target),
                               help=printable(target.help))


def goto_palette() -> CommandPalette:
    return CommandPalette(providers=[GotoModeProvider], placeholder=PLACEHOLDER)

