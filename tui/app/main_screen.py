"""The main screen: the four panes, their polling and selection, and the view actions
(filter, sort, zoom, help). It owns one helper per concern and its ``action_*`` methods
(what Textual calls for a key or the palette) hand over to them: ``selection`` (what is
pointed at, copying it), ``permissions`` (who may, why not), ``changes`` (the actions that
change the fleet), ``cycle`` (the failure cycle) and ``story`` (a bay's story, notes,
the hand-over).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from rich.markup import escape
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Tree

from tui.app import commands as cmds
from tui.app import format as fmt
from tui.app.actions import ChangeActions
from tui.app.bays_pane import BaysTable
from tui.app.cycle_actions import CycleActions
from tui.app.events_pane import EventLog
from tui.app.fleet import ATTENTION, FLEET, BayQuery, Scope, Snapshot
from tui.app.groups_pane import GroupsTree
from tui.app.header_bar import HeaderBar
from tui.app.jobs_pane import JobsList
from tui.app.layout import PaneLayout
from tui.app.linelist import LineList
from tui.app.lost import LostServerApp, is_lost
from tui.app.permissions import Permissions
from tui.app.selection import Selection
from tui.app.story_actions import StoryActions
from tui.core.view import ViewUpdate
from tui.model.entities import Bay, Event
from tui.model.errors import BayopsError, Refused
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.app.app import BayopsApp
    from tui.client.protocol import Client


class OneFooter(Footer):
    """Textual's Footer, rebuilt once per burst of binding changes: Textual's own queues a
    rebuild (every key widget mounted again) per change, ten or more before a first paint.
    Its keys are first mounted after the screen's first frame (``frame_out``, called by
    ``BayopsApp._display``): mounting and styling them costs ~0.08 s of CPU, a quarter of
    a bare Textual app's start, and an operator looks at the fleet first."""

    _rebuild_due = False
    _shown = False  # the screen's first frame went out: the keys may come

    def frame_out(self) -> None:
        """The screen's first frame is written: the keys come next (once)."""
        if self._shown:
            return
        self._shown = True
        if self._rebuild_due:
            self.call_later(self._rebuild)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if self._rebuild_due or not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_due = True
            if self._shown:
                self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_due = False  # a change from here on queues another rebuild
        await self.recompose()


class MainScreen(Screen):
    BINDINGS = cmds.bindings()
    AUTO_FOCUS = "#groups"
    # zoom keeps the header (CRIT count, clock), the filter bar and the footer in view
    ALLOW_IN_MAXIMIZED_VIEW = "HeaderBar, #filter-bar, Footer"

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = Snapshot()
        self.scope: Scope = FLEET
        self.refused_at = -1e9  # monotonic: when the last refusal was said
        self.bay_query = BayQuery()
        self.filter_target = "bays"
        self.panes = PaneLayout(self)
        # the helpers, in the order they need each other
        self.selection = Selection(self)
        self.permissions = Permissions(self)
        self.changes = ChangeActions(self)
        self.cycle = CycleActions(self)
        self.story = StoryActions(self)

    @property
    def bayops(self) -> BayopsApp:
        return cast("BayopsApp", self.app)  # the screen only ever runs inside BayopsApp

    @property
    def core(self) -> Client:
        return self.bayops.core

    async def _on_message(self, message: Message) -> None:
        """A handler (a key, a selection, a mount) that finds the server gone notifies
        instead of ending the app."""
        try:
            await super()._on_message(message)
        except BayopsError as exc:
            if not is_lost(exc) or not isinstance(self.app, LostServerApp):
                raise
            self.app.lost_server(exc)

    def refuse(self, reason: str | BayopsError, title: str = "Refused") -> None:
        text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
        if isinstance(reason, BayopsError) and not isinstance(reason, Refused):
            title = "Bad input" if reason.exit_code == 2 else "Failed"
        self.refused_at = time.monotonic()
        self.notify(text, title=title, severity="error", timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.permissions.check(action)

    def on_key(self, event: events.Key) -> None:
        self.permissions.key(event)

    def compose(self) -> ComposeResult:
        yield HeaderBar(self.bayops.clock)
        with Horizontal(id="main"):
            yield GroupsTree(self.bayops.clock)
            with Vertical(id="right"):
                yield BaysTable()
                with Horizontal(id="bottom"):
                    yield EventLog()
                    yield JobsList()
        with Horizontal(id="filter-bar"):
            yield Label("/", id="filter-label")
            yield Input(placeholder="filter text (enter keeps it, esc clears)", id="filter-input")
        yield OneFooter()

    def on_mount(self) -> None:
        self.query_one(GroupsTree).border_title = "Groups [1]"
        self.query_one(EventLog).border_title = "Events [3]"
        self.query_one(JobsList).border_title = "Jobs [4]"
        core = self.core
        self.query_one(HeaderBar).update(driver=core.driver.name, operator=core.operator,
                                         read_only=core.read_only)
        self.panes.fit(self.app.size.width, self.app.size.height)
        self._titles()

    def on_screen_resume(self) -> None:
        self.bayops.show_held()  # what arrived while a dialog was up

    def on_resize(self, event: events.Resize) -> None:
        self.panes.fit(event.size.width, event.size.height)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.panes.focused(event.widget)

    # -- data in ------------------------------------------------------------------------------
    def apply(self, snap: Snapshot, new_events: list[Event]) -> None:
        """A whole view from the core (main thread): at start, and after a reload."""
        self.snapshot = snap
        self.query_one(GroupsTree).update_from(snap)
        self.refresh_bays()
        self.query_one(JobsList).set_jobs(snap.jobs)
        self.query_one(EventLog).add_events(new_events)
        self._header()
        self._titles()
        self.permissions.update_bindings()

    def apply_update(self, update: ViewUpdate) -> None:
        """What changed since the view's revision: only the panes it touches repaint, and
        of the lists only the lines that changed."""
        shown = self.snapshot.last_event  # an update may repeat events already shown
        events = [e for e in update.events if e.seq > shown]
        snap = self.snapshot.apply(update)
        if snap is not self.snapshot:
            assert isinstance(snap, Snapshot)
            self.apply(snap, events)
            return
        if not update.last:
            # A slice of a batch changes the view only; the panes repaint once, at the
            # batch's last slice (a key between slices repaints the lines it moves over)
            return
        if update.bays or update.structure is not None:
            self.query_one(GroupsTree).update_from(snap, snap.touched)
            self.refresh_bays()
            self._header()
            self._titles()
            self.permissions.update_bindings()
        if update.jobs is not None:
            self.query_one(JobsList).set_jobs(snap.jobs)
            if not (update.bays or update.structure is not None):
                self._header()  # the running-jobs count (done above when bays changed)
        log = self.query_one(EventLog)
        log.add_events(events)
        if events and not log.following:
            self._titles()  # the count of what arrived while paused
        self.cycle.offer_failbacks(events)

    def minute_passed(self) -> None:
        """The clock and the maintenance lease countdowns show minutes."""
        self.query_one(HeaderBar).refresh()
        self.query_one(GroupsTree).update_from(self.snapshot)
        self.query_one(EventLog).refresh()  # past midnight, yesterday's lines get their date
        self._titles()

    def _header(self) -> None:
        snap = self.snapshot
        if snap.partial:  # no figure yet: the header says so rather than "crit 0"
            self.query_one(HeaderBar).update(outline=True)
            return
        group = self.selection.group("group")
        found = {self.core.role(g.name) for g in snap.groups}
        if len(found) == 1:
            role = found.pop()
        elif group:
            role = f"{self.core.role(group)} in {group}"
        else:
            role = "role varies by group"
        self.query_one(HeaderBar).update(
            critical=len(snap.alerting), acked=snap.acked_critical(),
            no_spare=snap.empty_spare_pools(),
            uncovered=len(snap.uncovered_failures()), role=role,
            unspared=fmt.unspared_text(snap.unspared()),
            running=len(snap.running_jobs()), outline=False)

    def _titles(self) -> None:
        table = self.query_one(BaysTable)
        total = len(self.snapshot.scope_bays(self.scope))
        shown = len(table.items)
        extra = self.bay_query.describe()
        if self.snapshot.partial:
            total = self.snapshot.size() if self.scope == FLEET else total
            extra = f"loading… {extra}".strip()
        # The tree's group line is cut in a narrow pane; the title has room for it.
        group = self.snapshot.group(self.snapshot.scope_group(self.scope) or "")
        if group is not None and group.cover:
            extra = f"{group.cover} {extra}".strip()
        domain = self.snapshot.scope_domain(self.scope)
        held = self.selection.maintenance(domain) if domain else None
        if held is not None:  # first: it says who holds the domain, and for how long
            badge, _ = fmt.maintenance_badge(held, self.bayops.clock())
            extra = f"{badge} {extra}".strip()
        self._set_title(table, f"Bays [2]: {self.scope.label()} ({shown}"
                              + (f" of {total}" if shown != total else "") + ")"
                              + (f"  {extra}" if extra else ""))
        log = self.query_one(EventLog)
        extra = log.describe()
        self._set_title(log, "Events [3]" + (f"  {extra}" if extra else ""))
        unfinished = [j.state for j in self.snapshot.running_jobs()]
        counts = [f"{n} {state}" for state in ("running", "interrupted")
                  if (n := unfinished.count(state))]
        self._set_title(self.query_one(JobsList), "  ".join(["Jobs [4]", ", ".join(counts)]).strip())

    @staticmethod
    def _set_title(widget, title: str) -> None:
        title = escape(printable(title))  # border titles are markup; names and filters are data
        if widget.border_title != title:
            widget.border_title = title

    def refresh_bays(self) -> None:
        table = self.query_one(BaysTable)
        table.sort, table.reverse = self.bay_query.sort, self.bay_query.reverse
        bays = self.bay_query.apply(self.snapshot.scope_bays(self.scope))
        triage = self.scope == ATTENTION
        if triage and bays is not self.snapshot.bays:  # a triage queue: critical first, always
            bays = sorted(bays, key=lambda b: b.health != "critical")
        table.set_triage(self.snapshot.triage if triage else None)
        table.went = self.snapshot.went
        snap = self.snapshot
        table.set_items(bays, notes=bool(snap.noted) if bays is snap.bays else None)
        self._titles()

    # -- selection ------------------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        scope = data.scope if data is not None else FLEET
        if scope != self.scope:
            self.scope = scope
            self.refresh_bays()
            self._header()
            self.permissions.update_bindings()

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        self.query_one(BaysTable).focus()

    def on_line_list_highlighted(self, event: LineList.Highlighted) -> None:
        if isinstance(event.sender, BaysTable):
            if event.item is not None and event.sender.has_focus:
                self._seen(event.sender, event.item)
            self.permissions.update_bindings()

    def _seen(self, table: BaysTable, bay: Bay) -> None:
        """The cursor on a NEW row, in the focused bays pane: it has been seen."""
        if bay.id in self.snapshot.unseen:
            self.snapshot.unseen.discard(bay.id)
            table.refresh()

    def on_line_list_activated(self, event: LineList.Activated) -> None:
        if isinstance(event.sender, JobsList):
            self.story.open_job(event.item.job.id)
        elif isinstance(event.sender, BaysTable):  # its story: state, timeline, jobs, notes
            self.story.open_story(event.item.id)
        elif isinstance(event.sender, EventLog):
            from tui.app.event_screen import EventScreen  # a dialog: imported when first shown

            self.app.push_screen(EventScreen(event.item[0]))

    # -- actions: views ----------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.filter_target = "events" if self.query_one(EventLog).has_focus else "bays"
        bar = self.query_one("#filter-bar")
        bar.add_class("shown")
        box = self.query_one("#filter-input", Input)
        box.value = self.query_one(EventLog).text if self.filter_target == "events" else self.bay_query.text
        self.query_one("#filter-label", Label).update(f"/ {self.filter_target}:")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter-input":
            return
        if self.filter_target == "events":
            self.query_one(EventLog).set_filter(text=event.value)
            self._titles()
        else:
            self.bay_query.text = event.value
            self.refresh_bays()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter-input":
            self.query_one("#filter-bar").remove_class("shown")
            self.query_one(EventLog if self.filter_target == "events" else BaysTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        if self.maximized is not None and not box.has_focus and not self.panes.compact:
            self.minimize()
            return
        self.query_one("#filter-bar").remove_class("shown")
        if self.filter_target == "events" or self.query_one(EventLog).has_focus:
            self.query_one(EventLog).set_filter(text="", min_severity="info")
        self.bay_query.text = ""
        self.bay_query.quick = None
        if box.has_focus:
            self.query_one(EventLog if self.filter_target == "events" else BaysTable).focus()
        box.value = ""
        self.refresh_bays()

    def action_quick(self, name: str) -> None:
        self.bay_query.quick = None if self.bay_query.quick == name else name
        self.refresh_bays()

    def action_attention(self) -> None:
        self.query_one(GroupsTree).select_scope(ATTENTION)
        if self.panes.compact:  # one pane at a time: the queue itself, not the tree
            self.query_one(BaysTable).focus()

    def action_sort_next(self) -> None:
        keys = fmt.SORT_KEYS
        self.bay_query.sort = keys[(keys.index(self.bay_query.sort) + 1) % len(keys)]
        self.refresh_bays()

    def action_sort_reverse(self) -> None:
        self.bay_query.reverse = not self.bay_query.reverse
        self.refresh_bays()

    def action_severity(self) -> None:
        level = self.query_one(EventLog).cycle_severity()
        self._titles()
        self.notify(f"event log shows {level} and above", timeout=2)

    def action_wrap_events(self) -> None:
        wrapped = self.query_one(EventLog).toggle_wrap()
        self._titles()
        self.notify("event log lines " + ("wrapped" if wrapped else "cut at the pane width"),
                    timeout=2)

    def action_open_job(self) -> None:
        job = self.query_one(JobsList).job
        if job is None:
            self.refuse("no job yet", title="Jobs")
            return
        self.story.open_job(job.id)

    def action_goto(self) -> None:
        from tui.app.goto import GotoScreen

        self.app.push_screen(GotoScreen(self))

    def goto_scope(self, scope: Scope) -> None:
        """Go to anything: select a group, domain or enclosure in the groups tree."""
        tree = self.query_one(GroupsTree)
        if tree.select_scope(scope):
            tree.focus()

    def goto_bay(self, bay_id: str) -> None:
        """Go to anything: the bay's enclosure in the tree, the bay selected in the bays
        pane (the filters are cleared when they hide it)."""
        bay = self.snapshot.by_id.get(bay_id)
        if bay is None:
            self.notify(f"no bay {bay_id} any more", title="Go to", timeout=4)
            return
        scope = Scope("enclosure", bay.enclosure)
        self.query_one(GroupsTree).select_scope(scope)
        self.scope = scope
        if all(b.id != bay_id for b in self.bay_query.apply([bay])):
            self.bay_query.text, self.bay_query.quick = "", None
        self.refresh_bays()
        self._header()
        self.permissions.update_bindings()
        table = self.query_one(BaysTable)
        table.select_key(bay_id)
        table.focus()

    def action_focus_pane(self, name: str) -> None:
        self.query_one(f"#{name}").focus()

    def action_next_pane(self, step: int) -> None:
        self.action_focus_pane(self.panes.next(step))

    def action_zoom(self) -> None:
        if self.panes.compact:
            self.notify("every pane is full-size here: 1-4 or tab switch", title="Zoom", timeout=3)
        elif self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused, container=False)

    def action_help(self) -> None:
        from tui.app.help_screen import HelpScreen

        keymap = dict(self.app._keymap)  # a copy of a private field: Textual has no getter
        self.app.push_screen(HelpScreen(keymap, self.bayops.whoami()))

    async def action_quit(self) -> None:
        await self.bayops.request_quit()

    # -- actions handed to the helpers (ids and keys: commands.py) ------------------------------
    def action_copy(self) -> None:
        self.selection.copy()

    def action_failover(self) -> None:
        self.changes.failover(force=False)

    def action_failover_force(self) -> None:
        self.changes.failover(force=True)

    def action_ack(self) -> None:
        self.changes.ack()

    def action_ack_visible(self) -> None:
        self.changes.ack_visible()

    def action_move(self) -> None:
        self.changes.move()

    def action_toggle_spare(self) -> None:
        self.changes.toggle_spare()

    def action_fault(self) -> None:
        self.changes.fault()

    def action_heal(self) -> None:
        self.changes.heal()

    def action_maintenance_start(self) -> None:
        self.changes.maintenance_start()

    def action_maintenance_edit(self) -> None:
        self.changes.maintenance_edit()

    def action_maintenance_complete(self) -> None:
        self.changes.maintenance_complete()

    def action_maintenance_cancel(self) -> None:
        self.changes.maintenance_cancel()

    def action_policy(self) -> None:
        self.changes.policy()

    def action_what_if(self) -> None:
        self.cycle.what_if()

    def action_ports(self) -> None:
        self.cycle.ports()

    def action_rediscover(self) -> None:
        self.cycle.rediscover()

    def action_clear_flag(self) -> None:
        self.cycle.clear_flag()

    def action_failback(self) -> None:
        self.cycle.failback()

    def action_evacuate(self) -> None:
        self.cycle.evacuate()

    def action_restore(self) -> None:
        self.cycle.restore()

    def action_note(self) -> None:
        self.story.note()

    def action_handover(self) -> None:
        self.story.handover()
