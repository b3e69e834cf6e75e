"""Where a site's state is (a ``StateRef``: a SQLite file or a PostgreSQL database), and
this host's folder for the site's own files."""
from __future__ import annotations

import os
from pathlib import Path

from tui.model.statewhere import locate

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from tui.core.config import Config
    from tui.model.stateref import StateRef


def state_folder(state: StateRef) -> Path:
    """This host's folder for a site's own files (archives, layout, simulator hardware):
    the state file's folder, or for a PostgreSQL site one named for its database."""
    if state.kind == "sqlite":
        return state.path.parent
    from tui.core.store.pg import local_folder

    return local_folder(state.location)


def configured_location(value: str, config_path: Path) -> tuple[str, str] | None:
    """A config's ``[bayops] state`` as (kind, location): ``~`` expanded, relative to the
    config's folder; None when unset."""
    return locate(os.path.expanduser(value), relative_to=config_path.parent) if value else None


def configured_state(value: str, config_path: Path) -> StateRef | None:
    """``configured_location`` as a StateRef."""
    from tui.model.stateref import StateRef

    found = configured_location(value, config_path)
    return StateRef.parse(found[1]) if found else None


def find_state(explicit: str | None, config: Config) -> StateRef:
    """``--state``, else ``$BAYOPS_STATE``, else the config's, else the XDG default."""
    from tui.model.stateref import StateRef

    mine = config.state
    return StateRef.parse(choose_state(explicit, None if mine is None else (mine.kind, mine.location))[1])


def choose_state(explicit: str | None, configured: tuple[str, str] | None) -> tuple[str, str]:
    """``find_state`` as (kind, location), given the config's (``configured_location``)."""
    for given in (explicit, os.environ.get("BAYOPS_STATE")):
        if given:
            return locate(given)
    if configured is not None:
        return configured
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return locate(Path(xdg) / "bayops" / "state.db")
