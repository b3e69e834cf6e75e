"""Who may do what, for display only: the core decides and refuses with the reason.

A helper the main screen owns (``screen.permissions``); the screen's ``check_action``
and ``on_key`` hand over to it. Bindings the operator may not use are greyed out in the
footer; pressing one, or choosing it from the command palette, says why instead of
doing nothing.
"""
from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING

from textual import events

from tui.app import commands as cmds
from tui.model.entities import Bay
from tui.model.errors import BayopsError

if TYPE_CHECKING:
    from tui.app.main_screen import MainScreen

MAINTENANCE_HELD = ("maintenance-edit", "maintenance-complete", "maintenance-cancel")


class Permissions:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.selection = screen.selection
        self._somewhere: dict[str, bool] = {}
        self._binding_state: tuple[bool | None, ...] = ()

    def update_bindings(self) -> None:
        """refresh_bindings() only when an action's state changed: the footer recomposes
        on every refresh, too slow to do on each cursor move over 16,000 bays."""
        state = tuple(self.check(c.action) for c in cmds.COMMANDS if c.perm)
        if state != self._binding_state:
            self._binding_state = state
            self.screen.refresh_bindings()

    def check(self, action: str) -> bool | None:
        """True: shown and usable; None: shown greyed (not allowed here or by role); False:
        hidden, as it never applies in this context (read-only, no maintenance to edit)."""
        cmd = cmds.BY_ACTION.get(action)
        if cmd is None or cmd.perm is None:
            return True
        core = self.screen.core
        if cmd.sim_only and core.driver.name != "sim":
            return False
        if cmd.changes and core.read_only:
            return False
        if cmd.id in MAINTENANCE_HELD:
            domain = self.selection.domain()
            if domain is not None and self.selection.maintenance(domain) is None:
                return False
        if not self._may_somewhere(cmd.perm):
            return False  # a viewer's footer offers no change it may never make
        group = self.selection.group(cmd.target)
        if group is None:
            return None
        return True if core.may(group, cmd.perm) else None

    def _may_somewhere(self, action: str) -> bool:
        """Whether the role allows ``action`` in any group (asked once: roles come from
        the config, fixed while the dashboard runs)."""
        known = self._somewhere.get(action)
        groups = self.screen.snapshot.groups
        if known is None and groups:  # before the first view: not known yet
            core = self.screen.core
            known = self._somewhere[action] = any(core.may(g.name, action) for g in groups)
        return known is not False

    def why_not(self, cmd: cmds.Command) -> str:
        core, selection = self.screen.core, self.selection
        if cmd.sim_only and core.driver.name != "sim":
            return f"fault injection needs the sim driver; this fleet uses {core.driver.name}"
        if cmd.changes and core.read_only:
            return "read-only mode: nothing can be changed (started with --read-only)"
        domain = selection.domain()
        if domain is not None and cmd.id in MAINTENANCE_HELD and selection.maintenance(domain) is None:
            return f"domain {domain} is not in maintenance (M starts it)"
        group = selection.group(cmd.target)
        if group is None:
            return {"bay": "select a bay first", "domain": "select a domain (or a bay in it) first",
                    "group": "select a group (or a bay in it) first"}.get(cmd.target, "not available")
        return core.why_not(group, cmd.perm) if cmd.perm else ""

    def refuse_command(self, cmd: cmds.Command, fallback: str = "not allowed") -> None:
        """Say why ``cmd`` cannot run; a refusal by role is also audited by the core (an
        ``access.refused`` event, as the CLI's), off the UI thread: a server may answer."""
        screen = self.screen
        screen.refuse(self.why_not(cmd) or fallback)
        group = self.selection.group(cmd.target)
        if cmd.perm and group is not None and not screen.core.read_only \
                and not screen.core.may(group, cmd.perm):
            screen.run_worker(partial(self._audit_refusal, group, cmd.perm), thread=True,
                              exit_on_error=False, group="audit")
            return
        domain = self.selection.domain()
        if cmd.id in MAINTENANCE_HELD and domain is not None and not screen.core.read_only \
                and self.selection.maintenance(domain) is None:
            screen.run_worker(partial(self._audit_unheld, cmd.id, domain), thread=True,
                              exit_on_error=False, group="audit")

    def _audit_refusal(self, group: str, action: str) -> None:
        with contextlib.suppress(BayopsError):  # refused, as expected; or the server is gone
            self.screen.core.check_allowed(group, action)

    def _audit_unheld(self, cmd_id: str, domain: str) -> None:
        """Ask the core for the plan the key stands for, as `bayops maintenance complete`
        (cancel, domain set) would: it refuses a domain not in maintenance and audits it."""
        core = self.screen.core
        with contextlib.suppress(BayopsError):
            if cmd_id == "maintenance-complete":
                core.plan_maintenance_complete(domain)
            elif cmd_id == "maintenance-cancel":
                core.plan_maintenance_cancel(domain)
            else:
                config, _ = core.domain_config(domain)
                core.plan_domain_set(domain, "firmware", config.firmware)

    def allowed(self, cmd_id: str) -> str | None:
        """The group the command acts on, or None after notifying why it cannot run."""
        cmd = cmds.BY_ID[cmd_id]
        if self.why_not(cmd):
            self.refuse_command(cmd)
            return None
        return self.selection.group(cmd.target)

    def allowed_bay(self, cmd_id: str) -> Bay | None:
        """The selected bay for a command on a bay, or None after notifying why it cannot run."""
        bay = self.selection.bay()
        return bay if self.allowed(cmd_id) is not None else None

    def key(self, event: events.Key) -> None:
        """A key whose binding is disabled (role, read-only, nothing selected) says why."""
        screen = self.screen
        bound = screen._bindings.key_to_bindings.get(event.key, ())
        if not any(b.action.split("(")[0] in cmds.BY_ACTION or b.action in cmds.BY_ACTION
                   for b in bound):
            return  # no command's key (a cursor key): not worth the bindings' checks per key
        active = screen.active_bindings.get(event.key)
        if active is None:  # hidden here (check_action False): still say why
            hidden = [b for b in screen._bindings.key_to_bindings.get(event.key, [])
                      if b.action in cmds.BY_ACTION]
            cmd = cmds.BY_ACTION[hidden[0].action] if hidden else None
            if cmd is not None and cmd.perm is not None:
                event.stop()
                event.prevent_default()
                self.refuse_command(cmd, "not available here")
            return
        if active.enabled or active.node is not screen:
            return
        cmd = cmds.BY_ACTION.get(active.binding.action.split("(")[0]) or cmds.BY_ACTION.get(
            active.binding.action)
        if cmd is not None and cmd.perm is not None:
            event.stop()
            event.prevent_default()
            self.refuse_command(cmd)

    async def run_command(self, cmd_id: str) -> None:
        """From the command palette: same checks as the key."""
        cmd = cmds.BY_ID[cmd_id]
        name = cmd.action.split("(")[0]
        if cmd.perm is not None and not self.check(name):
            self.refuse_command(cmd)
            return
        await self.screen.run_action(cmd.action)
