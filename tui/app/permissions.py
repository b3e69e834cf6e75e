"""Who may do what, for display only: the core decides and refuses with the reason.

Bindings the operator may not use are greyed out in the footer; pressing one, or
choosing it from the command palette, says why instead of doing nothing.
"""
from __future__ import annotations

import contextlib
from functools import partial

from textual import events

from tui.app import commands as cmds
from tui.app.selection import SelectionScreen
from tui.model.entities import Bay
from tui.model.errors import BayopsError

MAINTENANCE_HELD = ("maintenance-edit", "maintenance-complete", "maintenance-cancel")


class PermissionsScreen(SelectionScreen):
    _binding_state: tuple = ()

    def __init__(self) -> None:
        super().__init__()
        self._somewhere: dict[str, bool] = {}

    def update_bindings(self) -> None:
        """refresh_bindings() only when an action's state changed: the footer recomposes
        on every refresh, too slow to do on each cursor move over 16,000 bays."""
        state = tuple(self.check_action(c.action, ()) for c in cmds.COMMANDS if c.perm)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True: shown and usable; None: shown greyed (not allowed here or by role); False:
        hidden, as it never applies in this context (read-only, no maintenance to edit)."""
        cmd = cmds.BY_ACTION.get(action)
        if cmd is None or cmd.perm is None:
            return True
        if cmd.sim_only and self.core.driver.name != "sim":
            return False
        if cmd.changes and self.core.read_only:
            return False
        if cmd.id in MAINTENANCE_HELD:
            domain = self._domain_for()
            if domain is not None and self._maintenance(domain) is None:
                return False
        if not self._may_somewhere(cmd.perm):
            return False  # a viewer's footer offers no change it may never make
        group = self._group_for(cmd.target)
        if group is None:
            return None
        return True if self.core.may(group, cmd.perm) else None

    def _may_somewhere(self, action: str) -> bool:
        """Whether the role allows ``action`` in any group (asked once: roles come from
        the config, fixed while the dashboard runs)."""
        known = self._somewhere.get(action)
        groups = self.snapshot.groups
        if known is None and groups:  # before the first view: not known yet
            known = self._somewhere[action] = any(self.core.may(g.name, action) for g in groups)
        return known is not False

    def why_not(self, cmd: cmds.Command) -> str:
        if cmd.sim_only and self.core.driver.name != "sim":
            return f"fault injection needs the sim driver; this fleet uses {self.core.driver.name}"
        if cmd.changes and self.core.read_only:
            return "read-only mode: nothing can be changed (started with --read-only)"
        domain = self._domain_for()
        if domain is not None and cmd.id in MAINTENANCE_HELD and self._maintenance(domain) is None:
            return f"domain {domain} is not in maintenance (M starts it)"
        group = self._group_for(cmd.target)
        if group is None:
            return {"bay": "select a bay first", "domain": "select a domain (or a bay in it) first",
                    "group": "select a group (or a bay in it) first"}.get(cmd.target, "not available")
        return self.core.why_not(group, cmd.perm) if cmd.perm else ""

    def refuse_command(self, cmd: cmds.Command, fallback: str = "not allowed") -> None:
        """Say why ``cmd`` cannot run; a refusal by role is also audited by the core (an
        ``access.refused`` event, as the CLI's), off the UI thread: a server may answer."""
        self.refuse(self.why_not(cmd) or fallback)
        group = self._group_for(cmd.target)
        if cmd.perm and group is not None and not self.core.read_only \
                and not self.core.may(group, cmd.perm):
            self.run_worker(partial(self._audit_refusal, group, cmd.perm), thread=True,
                            exit_on_error=False, group="audit")

    def _audit_refusal(self, group: str, action: str) -> None:
        with contextlib.suppress(BayopsError):  # refused, as expected; or the server is gone
            self.core.check_allowed(group, action)

    def _allowed(self, cmd_id: str) -> str | None:
        """The group the command acts on, or None after notifying why it cannot run."""
        cmd = cmds.BY_ID[cmd_id]
        if self.why_not(cmd):
            self.refuse_command(cmd)
            return None
        return self._group_for(cmd.target)

    def _allowed_bay(self, cmd_id: str) -> Bay | None:
        """The selected bay for a command on a bay, or None after notifying why it cannot run."""
        bay = self.selected_bay()
        return bay if self._allowed(cmd_id) is not None else None

    def on_key(self, event: events.Key) -> None:
        """A key whose binding is disabled (role, read-only, nothing selected) says why."""
        active = self.active_bindings.get(event.key)
        if active is None:  # hidden here (check_action False): still say why
            hidden = [b for b in self._bindings.key_to_bindings.get(event.key, [])
                      if b.action in cmds.BY_ACTION]
            cmd = cmds.BY_ACTION[hidden[0].action] if hidden else None
            if cmd is not None and cmd.perm is not None:
                event.stop()
                event.prevent_default()
                self.refuse_command(cmd, "not available here")
            return
        if active.enabled or active.node is not self:
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
        if cmd.perm is not None and not self.check_action(name, ()):
            self.refuse_command(cmd)
            return
        await self.run_action(cmd.action)
