"""Where a site's state is (a ``StateRef``: a SQLite file or a PostgreSQL database), and
this host's folder for the site's own files."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui.model.stateref import StateRef

if TYPE_CHECKING:
    from tui.core.config import Config


def state_folder(state: StateRef) -> Path:
    """This host's folder for a site's own files (archives, layout, simulator hardware):
    the state file's folder, or for a PostgreSQL site one named for its database."""
    if state.kind == "sqlite":
        return state.path.parent
    from tui.core.store.pg import local_folder

    return local_folder(state.location)


def configured_state(value: str, config_path: Path) -> StateRef | None:
    """A config's ``[bayops] state``: ``~`` expanded, relative to the config's folder."""
    return StateRef.parse(os.path.expanduser(value), relative_to=config_path.parent) if value else None


def find_state(explicit: str | None, config: Config) -> StateRef:
    """``--state``, else ``$BAYOPS_STATE``, else the config's, else the XDG default."""
    return choose_state(explicit, config.state)


def choose_state(explicit: str | None, configured: StateRef | None) -> StateRef:
    """``find_state`` given the config's state (``configured_state``) alone."""
    for given in (explicit, os.environ.get("BAYOPS_STATE")):
        if given:
            return StateRef.parse(given)
    if configured is not None:
        return configured
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return StateRef.parse(Path(xdg) / "bayops" / "state.db")
