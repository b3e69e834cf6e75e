"""Where a site's state is: a SQLite file's path, or a PostgreSQL URL (kept a string)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.core.config import Config


def is_database_url(state: str | Path) -> bool:
    """A ``postgresql://`` URL names a PostgreSQL store; anything else is a SQLite file."""
    return isinstance(state, str) and state.startswith(("postgresql://", "postgres://"))


def state_folder(state: Path | str) -> Path:
    """This host's folder for a site's own files (archives, layout, simulator hardware):
    the state file's folder, or for a PostgreSQL site one named for its database."""
    if not is_database_url(state):
        return Path(state).parent
    from tui.core.store.pg import local_folder

    return local_folder(str(state))


def find_state(explicit: str | None, config: Config) -> Path | str:
    """The SQLite file's path, or a PostgreSQL URL (kept as a string)."""
    for given in (explicit, os.environ.get("BAYOPS_STATE")):
        if given:
            return given if is_database_url(given) else Path(given)
    if config.state is not None:
        return config.state
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "bayops" / "state.db"
