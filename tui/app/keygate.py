"""Keys are handled one after another, as typed.

Textual hands every key to the focused widget as soon as it arrives, and runs the
bindings when the key has bubbled back to the app. A key typed right after one that
opens a dialog or moves the focus (`E`, `/`, `f`, `4`) was therefore already on its way
to the screen behind: it was lost, or ran a live action there. The gate holds each key
until the one before it has been handled everywhere (widget, parents, bindings), the
focus it asked for is set and a screen it pushed is mounted with its input focused.
"""
from __future__ import annotations

from collections import deque

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.message_pump import MessagePump
from textual.timer import Timer

# Never wait longer than this for one key's chain to take its next step (a widget removed
# under the key ends its chain). Counted from the last step, not from the key: on a loaded
# machine a whole chain outlasts it, and the next key would reach a screen not yet focused.
KEY_TIMEOUT = 0.5


class KeyGate(App):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._keys_waiting: deque[events.Key] = deque()
        self._key_busy = 0  # the token of the key in flight, 0 when none
        self._key_tokens = 0
        self._key_timer: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._keys_waiting.append(event)
            if not self._key_busy:
                await self._next_key()
            return
        await super().on_event(event)

    async def _next_key(self) -> None:
        while self._keys_waiting and not self._key_busy:
            if not self._screen_mounted():  # a screen still being pushed: wait for it
                self._key_busy = -1
                self._key_timer = self.set_timer(0.01, self._screen_ready)
                return
            event = self._keys_waiting.popleft()
            self._key_tokens += 1
            token = self._key_busy = self._key_tokens
            target: MessagePump = self.focused or self.screen
            await super().on_event(event)
            if self._key_busy != token:
                continue  # handled in full already (a priority binding that awaited)
            # Follow the key up the same queues it bubbles through; the app's binding
            # runs before the chain reaches the app again.
            target.call_later(self._settle, target, token)
            self._key_timer = self.set_timer(KEY_TIMEOUT, lambda t=token: self._key_done(t))

    def pop_screen(self) -> AwaitComplete:
        result = super().pop_screen()
        token = self._key_busy
        if token > 0:
            # The key in flight closed its screen (a go-to's enter, a palette's escape): that
            # screen's widgets stop taking messages and its chain would end in the timeout,
            # so the key ends two turns of the app's queue from here.
            self.call_later(self.call_later, self._key_done, token)
        return result

    def _screen_mounted(self) -> bool:
        try:
            return self.screen.is_mounted
        except Exception:  # no screen yet
            return False

    async def _screen_ready(self) -> None:
        if self._key_busy == -1:
            self._key_busy = 0
            await self._next_key()

    def _settle(self, node: MessagePump, token: int) -> None:
        if token == self._key_busy and self._key_timer is not None:
            self._key_timer.reset()  # the chain moves: the timeout counts from here
        parent = node._parent
        if parent is None or parent is self or node is self:
            # one more turn of the app's queue: focus() is itself a call_later
            self.call_later(self.call_later, self._key_done, token)
        else:
            parent.call_later(self._settle, parent, token)

    async def _key_done(self, token: int) -> None:
        if self._key_busy != token:
            return
        if self._key_timer is not None:
            self._key_timer.stop()
            self._key_timer = None
        self._key_busy = 0
        await self._next_key()
