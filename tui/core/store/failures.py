"""The one mapper from a store's failures to the house errors, for either kind of store."""
from __future__ import annotations

from tui.core.store.pg import pg_failure
from tui.core.store.statefile import environment_error
from tui.model.errors import BayopsError
from tui.model.stateref import StateRef


def state_failure(exc: BaseException, state: StateRef) -> BayopsError | None:
    """The plain error (a code, a hint, the state as shown) for a failure of the store's
    environment: a disk, media, file or descriptor failure of a SQLite file; a PostgreSQL
    server unreachable, busy, read-only or full. None for anything else: a bug stays a
    bug (an integrity violation too)."""
    if state.kind == "sqlite":
        return environment_error(exc, state.path)
    return pg_failure(exc, state.shown)
