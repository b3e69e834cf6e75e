"""A server that stops answering: the dashboard says so and waits for it, never exits.

A client of `bayops serve` asks the server on the UI thread (why a key is refused, what
a modal shows, the action itself). When the server is gone those calls raise
``OperationFailed(code="server-unreachable")``; Textual would end the app on it. Actions
(keys, the palette) and the app's handlers catch it here, the main screen's handlers in
its ``_on_message``, and turn it into a notification; the header shows SERVER LOST
while the change feed cannot fetch, and clears it when a fetch works again.
"""
from __future__ import annotations

from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen

from tui.model.errors import BayopsError

UNREACHABLE = ("server-unreachable", "connection-lost")


def is_lost(exc: BaseException) -> bool:
    return isinstance(exc, BayopsError) and exc.code in UNREACHABLE


class LostServerApp(App):
    """Actions and the app's handlers that find the server gone notify instead of
    exiting (the main screen's handlers: MainScreen._on_message)."""

    server_lost = False

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except BayopsError as exc:
            if not is_lost(exc):
                raise
            self.lost_server(exc)
            return True

    async def _on_message(self, message: Message) -> None:
        try:  # the app's own handlers: timers, finished jobs, fetched changes
            await super()._on_message(message)
        except BayopsError as exc:
            if not is_lost(exc):
                raise
            self.lost_server(exc)

    def feed_failed(self, exc: BaseException) -> None:
        """From the feed thread: a fetch failed; a lost server is marked in the header."""
        if is_lost(exc) and not self.server_lost:
            self.call_from_thread(self.lost_server)

    def feed_answered(self) -> None:
        """From the feed thread: a fetch worked; a lost server is back."""
        if self.server_lost:
            self.call_from_thread(self.server_back)

    def lost_server(self, exc: BaseException | None = None) -> None:
        """Mark the server lost; with ``exc`` (the operator pressed something) also say so."""
        self._show_lost(True)
        if exc is not None:
            self.notify(f"{str(exc).splitlines()[0]} — the dashboard reconnects when it is back",
                        title="Server unreachable", severity="error", timeout=8)

    def server_back(self) -> None:
        if self.server_lost:
            self._show_lost(False)
            self.notify("the server answers again", title="Server", timeout=4)

    def _show_lost(self, lost: bool) -> None:
        """The header says SERVER LOST with the age of what is shown; the panes' data is
        dimmed (``-stale``) until the server answers again."""
        from tui.app.header_bar import HeaderBar

        self.server_lost = lost
        for screen in [self, *self.screen_stack]:
            for header in screen.query(HeaderBar):
                header.update(lost=lost, lost_since=header.clock() if lost else None)
            if isinstance(screen, Screen):
                screen.set_class(lost, "-stale")

