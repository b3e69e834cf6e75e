"""The key sweep: every binding of every screen, pressed in every pane with the selection
on each kind of row and in every modal, raises nothing and leaves the dashboard
responsive; a press that is not a confirmed change changes nothing in the store.

The README's command presses each key in one context of each kind (the contexts of a kind
share the keys out); ``--sweep every`` (the default under ``--store both``, as .ci/run
runs) presses every key in every context.

The keys come from the registry (tui/app/commands.py) and from the BINDINGS of every
class in tui.app, so a new binding is swept without touching this file.
"""
from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading
from collections.abc import Callable

import pytest
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key
from textual.screen import Screen

import tui.app
from tests.app.conftest import make_app, wait_for, wait_jobs
from tests.conftest import sweep_every_context, without_audits
from tui.app import commands as cmds
from tui.app.bays_pane import BaysTable
from tui.app.confirm_screen import ConfirmScreen
from tui.app.events_pane import EventLog
from tui.app.fleet import ATTENTION, FLEET, BayQuery, Scope
from tui.app.groups_pane import GroupsTree
from tui.app.jobs_pane import JobsList
from tui.app.main_screen import MainScreen
from tui.core.ops.rediscover import REDISCOVERED
from tui.model.errors import BayopsError

SIZE = (80, 24)
pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]

QUIT_ACTIONS = {"quit", "app.quit"}  # exit the app: covered by test_pilot's quit tests


def _binding_classes() -> list[type]:
    found: list[type] = [App, Screen]
    for info in pkgutil.iter_modules(tui.app.__path__):
        module = importlib.import_module(f"tui.app.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, DOMNode)
                    and value.__module__ == module.__name__ and "BINDINGS" in vars(value)):
                found.append(value)
    return found


def swept_keys() -> list[str]:
    """Every key bound anywhere in the dashboard, minus the ones that exit it."""
    keys: dict[str, None] = {App.COMMAND_PALETTE_BINDING: None, "enter": None}
    quit_keys = set()
    bindings = [b for cls in _binding_classes() for b in cls.BINDINGS if isinstance(b, Binding)]
    bindings += [b for b in cmds.bindings() if isinstance(b, Binding)]
    for b in bindings:
        for key in b.key.split(","):
            key = key.strip()
            if b.action in QUIT_ACTIONS:
                quit_keys.add(key)
            else:
                keys[key] = None
    return [k for k in keys if k not in quit_keys or k == "q"]


KEYS = swept_keys()


class Hold:
    """Keeps one simulator operation waiting until released: a job stays running."""

    def __init__(self, monkeypatch, operation: str) -> None:
        from tui.drivers.sim import SimDriver

        self.release_event = threading.Event()
        self.reached = threading.Event()
        original = SimDriver._wait

        def _wait(driver, op):
            if op == operation:
                self.reached.set()
                self.release_event.wait(300)
            else:
                original(driver, op)
        monkeypatch.setattr(SimDriver, "_wait", _wait)


@pytest.fixture
def swept(core, monkeypatch):
    """The demo fleet with every kind of row: a critical bay, a domain in maintenance,
    jobs done, failed and one left running (a failover held at power on)."""
    core.sim_fault("enc-w1/6", "critical")  # critical (and a done job)
    core.sim_fault("enc-l1/3", "critical")
    core.sim_fault("enc-l1/16", "wont-power-on")  # the lab's only spare
    with contextlib.suppress(BayopsError):  # the failed job is what we want
        core.failover("enc-l1/3", expect=core.plan_failover("enc-l1/3"))
    core.maintenance_start("db-dom2", "sweep", expect=core.plan_maintenance_start("db-dom2", "sweep"))
    core.sim_fault("enc-w1/3", "critical")
    hold = Hold(monkeypatch, "power_on")
    thread = threading.Thread(
        target=lambda: core.failover("enc-w1/3", expect=core.plan_failover("enc-w1/3")), daemon=True)
    thread.start()
    assert hold.reached.wait(10)
    states = {j.state for j in core.jobs()}
    assert {"running", "done", "failed"} <= states, states
    yield core
    hold.release_event.set()
    thread.join(10)


def _job(core, state: str) -> int:
    return next(j.id for j in core.jobs() if j.state == state)


# -- contexts: where the key is pressed -------------------------------------------------------
Setup = Callable[[MainScreen, object], None]


def _reset(screen: MainScreen) -> None:
    if screen.maximized is not None:
        screen.minimize()
    screen.query_one("#filter-bar").remove_class("shown")
    screen.bay_query = BayQuery()
    screen.query_one(EventLog).set_filter(text="", min_severity="info")


def tree(scope: Scope) -> Setup:
    def setup(screen: MainScreen, core) -> None:
        screen.query_one(GroupsTree).select_scope(scope)
        screen.query_one(GroupsTree).focus()
    return setup


def bay(bay_id: str) -> Setup:
    def setup(screen: MainScreen, core) -> None:
        screen.query_one(GroupsTree).select_scope(FLEET)
        screen.scope = FLEET
        screen.refresh_bays()
        table = screen.query_one(BaysTable)
        assert table.select_key(bay_id) or (table.bay is not None and table.bay.id == bay_id)
        table.focus()
    return setup


def job(state: str) -> Setup:
    def setup(screen: MainScreen, core) -> None:
        jobs = screen.query_one(JobsList)
        assert jobs.select_key((_job(core, state), 0)) or jobs.job.id == _job(core, state)
        jobs.focus()
    return setup


def event(screen: MainScreen, core) -> None:
    assert screen.query_one(EventLog).items
    screen.query_one(EventLog).focus()


MAIN_CONTEXTS: dict[str, Setup] = {
    "tree-fleet": tree(FLEET),
    "tree-attention": tree(ATTENTION),
    "tree-group": tree(Scope("group", "prod-web")),
    "tree-domain": tree(Scope("domain", "web-dom1")),
    "tree-domain-in-maintenance": tree(Scope("domain", "db-dom2")),
    "tree-enclosure": tree(Scope("enclosure", "enc-w1")),
    "bay-empty": bay("enc-w1/11"),
    "bay-spare": bay("enc-w2/16"),
    "bay-profile": bay("enc-w1/4"),
    "bay-running-job": bay("enc-w1/3"),
    "bay-critical": bay("enc-w1/6"),
    "job-running": job("running"),
    "job-done": job("done"),
    "job-failed": job("failed"),
    "event": event,
}


async def press(pilot, key: str) -> None:
    """One key, as Pilot.press sends it, but waiting for the screen's messages instead of
    for the process to look idle (Pilot.press sleeps ~0.1 s a key: the sweep presses
    a thousand)."""
    import unicodedata

    app = pilot.app
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)
    await sync(pilot)


async def sync(pilot) -> None:
    for _ in range(3):  # the key, what it posted, what that mounted
        await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


async def settle(pilot, base: Screen) -> None:
    """Back to ``base``: a confirmation a key opened is answered no, anything else escaped."""
    app = pilot.app
    for _ in range(6):
        if app.screen is base or base not in app.screen_stack:
            return
        await press(pilot, "n" if isinstance(app.screen, ConfirmScreen) else "escape")
    raise AssertionError(f"stuck on {app.screen!r}")


def fleet_state(core) -> dict:
    """The store as the sweep compares it: every table but ``looked``, where the hand-over
    (H) records that the operator read it, a reading, not a change to the fleet; without
    refusals' audit events; and without the meta records of when the hardware was last read
    whole (a rediscovery's stamp, the sweep's marks: R reads the hardware, and a rediscovery
    that finds nothing changes no bay)."""
    rows = {t: rows for t, rows in without_audits(core.store.dump()).items() if t != "looked"}
    rows["meta"] = [r for r in rows["meta"] if r[0] != REDISCOVERED and not r[0].startswith("swept:")]
    return rows


def assert_alive(app) -> None:
    assert app.is_running and app.return_code is None, "the dashboard exited"


def where(screen: MainScreen) -> tuple:
    """What a key may have changed: focus, scope, cursors, filters, zoom."""
    log = screen.query_one(EventLog)
    return (screen.focused, screen.scope, screen.query_one(GroupsTree).cursor_line,
            screen.query_one(BaysTable).cursor, screen.query_one(JobsList).cursor,
            repr(screen.bay_query), screen.maximized, log.text, log.min_severity,
            screen.query_one("#filter-bar").has_class("shown"))


async def sweep_main(pilot, core, context: str, keys: list[str]) -> None:
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, MainScreen)
    setup = MAIN_CONTEXTS[context]
    ready = None
    for key in keys:
        if key == "q":
            continue  # quits the dashboard (test_pilot: quit tests)
        if ready is None or where(screen) != ready:  # the last key moved something
            _reset(screen)
            setup(screen, core)
            await sync(pilot)
            ready = where(screen)
        before = fleet_state(core)
        await press(pilot, key)
        await settle(pilot, screen)
        assert_alive(app)
        assert app.screen is screen, (context, key)
        assert fleet_state(core) == before, f"{key} in {context} changed the store without a confirmation"


def pane_kind(context: str) -> str:
    return context.split("-")[0]  # tree, bay, job, event


def keys_for(context: str, contexts: list[str], kind: Callable[[str], str],
             every: bool) -> list[str]:
    """The keys pressed in ``context``: all of them, or (the README's tier) its share, the
    contexts of one kind taking turns, so that each key is still pressed in every kind of
    context and each context gets its keys."""
    if every:
        return KEYS
    same_kind = [c for c in contexts if kind(c) == kind(context)]
    return KEYS[same_kind.index(context)::len(same_kind)]


PANE_KINDS = list(dict.fromkeys(pane_kind(c) for c in MAIN_CONTEXTS))


@pytest.mark.parametrize("kind", PANE_KINDS)
async def test_every_key_in_every_pane(swept, kind, request):
    """The contexts of one kind in turn on one dashboard: each starts from its own setup
    (_reset, then the context's selection and focus), as a fresh dashboard would."""
    every = sweep_every_context(request.config)
    async with make_app(swept).run_test(size=SIZE) as pilot:
        for context in (c for c in MAIN_CONTEXTS if pane_kind(c) == kind):
            keys = keys_for(context, list(MAIN_CONTEXTS), pane_kind, every)
            await sweep_main(pilot, swept, context, keys)


# -- modals: opened from a context with a command key ------------------------------------------
def key_of(command_id: str) -> str:
    return cmds.BY_ID[command_id].key


MODALS: dict[str, tuple[Setup, str]] = {
    "confirmation": (bay("enc-w3/3"), key_of("spare")),
    "move": (bay("enc-w1/4"), key_of("move")),
    "fault": (bay("enc-d1/3"), key_of("fault")),
    "policy": (tree(Scope("group", "prod-web")), key_of("policy")),
    "maintenance-start": (tree(Scope("domain", "lab-dom2")), key_of("maintenance-start")),
    "domain-edit": (tree(Scope("domain", "db-dom2")), key_of("maintenance-edit")),
    "help": (tree(FLEET), key_of("help")),
    "job": (job("done"), key_of("open-job")),
    "bay-story": (bay("enc-w1/6"), "enter"),
    "handover": (tree(FLEET), key_of("handover")),
    "theme-picker": (tree(FLEET), key_of("theme")),
    "palette": (tree(FLEET), App.COMMAND_PALETTE_BINDING),
}


# The forms that open with the cursor in a text box (FormScreen, no bindings but escape)
# take typed keys alike: one kind, sharing the keys out in the README's tier; every other
# modal has bindings or widgets of its own and is a kind alone.
FORMS = {"maintenance-start", "domain-edit"}


def modal_kind(modal: str) -> str:
    return "form" if modal in FORMS else modal


@pytest.mark.parametrize(("contexts", "kind"), [(list(MAIN_CONTEXTS), pane_kind),
                                                (list(MODALS), modal_kind)])
def test_every_key_is_pressed_in_every_kind_of_context(contexts, kind):
    """The README's tier leaves no key out of any kind of context."""
    kinds: dict[str, set[str]] = {}
    for context in contexts:
        kinds.setdefault(kind(context), set()).update(keys_for(context, contexts, kind, False))
    assert len(kinds) > 1
    assert all(keys == set(KEYS) for keys in kinds.values()), kinds


async def open_modal(pilot, core, setup: Setup, opener: str) -> Screen:
    main = pilot.app.screen_stack[1] if len(pilot.app.screen_stack) > 1 else pilot.app.screen
    assert isinstance(main, MainScreen)
    _reset(main)
    setup(main, core)
    await sync(pilot)
    await press(pilot, opener)
    for _ in range(5):  # enter on a row opens through a message of the list: a few more turns
        if pilot.app.screen is not main:
            break
        await sync(pilot)
    modal = pilot.app.screen
    assert modal is not main, f"{opener} opened nothing"
    return modal


@pytest.mark.parametrize("modal", list(MODALS))
async def test_every_key_in_every_modal(swept, modal, request):
    setup, opener = MODALS[modal]
    yes_keys = {b.key for b in ConfirmScreen.BINDINGS if isinstance(b, Binding)
                and b.action == "answer(True)"} if modal == "confirmation" else set()
    keys = keys_for(modal, list(MODALS), modal_kind, sweep_every_context(request.config))
    keys = [k for k in keys if k not in yes_keys] + sorted(yes_keys)  # a yes changes: last
    async with make_app(swept).run_test(size=SIZE) as pilot:
        app = pilot.app
        main = app.screen
        screen = ready = None
        for key in keys:
            # reopened when the last key closed it or, in a confirmation, moved the focus
            # (to yes, where enter would confirm); else the next key finds it as it opened
            if screen is None or app.screen is not screen or (
                    isinstance(screen, ConfirmScreen) and screen.focused is not ready):
                await settle(pilot, main)
                screen = await open_modal(pilot, swept, setup, opener)
                ready = screen.focused
            before = fleet_state(swept)
            await press(pilot, key)
            assert_alive(app)
            if app.screen is not screen and screen in app.screen_stack:
                await settle(pilot, screen)  # a confirmation or picker the key opened
            assert_alive(app)
            if key in yes_keys:
                await wait_jobs(pilot)
            else:
                assert fleet_state(swept) == before, f"{key} changed the store"
        await settle(pilot, main)
        assert app.screen is main


# Bursts: what a quick typist (or a paste) sends in one go lands where slow typing lands,
# on the screen each key was typed for: after a go-to, a dialog, a refusal, help.
BURSTS = {
    "goto-then-pane": ["colon", *"enc-d2", "enter", "2"],
    "goto-then-zoom": ["colon", *"enc-w1", "enter", "z"],
    "goto-bay-then-move": ["colon", *"bay enc-w1/4", "enter", "m", *"enc-w2"],
    "refusal-then-pane": ["colon", *"bay enc-w1/4", "enter", "f", "4"],
    "help-closed-then-pane": ["question_mark", "escape", "3"],
    "filter-then-goto": ["slash", *"enc-w1/5", "enter", "colon", *"lab", "enter", "2"],
}


def _landed(app) -> tuple:
    screen = app.screen
    main = next(s for s in app.screen_stack if isinstance(s, MainScreen))
    box = next(iter(screen.query("Input")), None) if screen is not main else None
    return (type(screen).__name__, getattr(screen.focused, "id", None), main.scope,
            main.maximized is not None, getattr(box, "value", None))


@pytest.mark.parametrize("burst", list(BURSTS))
async def test_a_burst_lands_where_slow_typing_lands(swept, burst):
    from tests.app.conftest import type_fast

    keys = BURSTS[burst]
    async with make_app(swept).run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)
        slow = _landed(pilot.app)
    async with make_app(swept).run_test(size=SIZE) as pilot:
        type_fast(pilot, *keys)
        for _ in range(20):
            await pilot.pause(0.05)
        # a loaded machine may still be working through the keys: wait for them, not longer
        with contextlib.suppress(AssertionError):
            await wait_for(pilot, lambda: _landed(pilot.app) == slow)
        await pilot.pause(0.05)  # a key still queued after an equal moment would move it on
        fast = _landed(pilot.app)
    assert fast == slow, burst
