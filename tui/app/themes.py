"""Themes are files in themes/ (TOML), turned into Textual Theme objects. The theme
chosen in the dashboard is kept in a small UI state file next to the state database, or in
this host's folder for a PostgreSQL site (``bayops-ui.json``); the user's config is never written.

Which theme a start uses: ``--theme`` > the saved choice > ``[bayops] theme`` in the
config > ``dark``.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from textual.filter import LineFilter, Monochrome, NoColor
from textual.theme import Theme

from tui.resources import data_path

THEME_KEYS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
              "background", "surface", "panel", "boost", "dark", "luminosity_spread",
              "text_alpha", "ansi")
DEFAULT_THEME = "dark"
# Textual's own themes that `T` still offers beside ours (its others are unregistered).
TEXTUAL_THEMES_KEPT = ("textual-dark", "textual-light", "nord", "gruvbox")

# Fallbacks for the bayops variables, so a built-in Textual theme chosen from the
# palette still works.
VARIABLE_DEFAULTS = {
    "bay-ok": "green", "bay-warning": "yellow", "bay-critical": "red", "bay-spare": "cyan",
    "bay-maintenance": "magenta", "bay-job": "ansi_bright_cyan", "pane-border": "#6C7A89",
}


def themes_dir() -> Path:
    return data_path("themes")


def theme_from_toml(path: Path) -> Theme:
    """One theme file; BadTheme (ValueError) with a one-line reason when it is wrong."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"theme {path.name}: {exc}") from None
    name = raw.get("name", path.stem)
    unknown = set(raw) - set(THEME_KEYS) - {"name", "variables"}
    if unknown:
        raise ValueError(f"theme {path.name}: unknown key {sorted(unknown)[0]!r}")
    if "primary" not in raw:
        raise ValueError(f"theme {path.name}: 'primary' is required")
    variables = {str(k): str(v) for k, v in raw.get("variables", {}).items()}
    kwargs = {k: raw[k] for k in THEME_KEYS if k in raw}
    try:
        theme = Theme(name=str(name), variables=variables, **kwargs)
        theme.to_color_system()  # colour names are checked here
    except Exception as exc:  # Textual raises several kinds for a bad colour
        raise ValueError(f"theme {path.name}: {exc}") from None
    return theme


def load_themes(directory: Path | None = None) -> tuple[list[Theme], list[str]]:
    """(themes, problems): a broken file is reported, not fatal."""
    directory = directory or themes_dir()
    themes, problems = [], []
    for path in sorted(directory.glob("*.toml")):
        try:
            themes.append(theme_from_toml(path))
        except ValueError as exc:
            problems.append(str(exc))
    return themes, problems


UI_STATE_NAME = "bayops-ui.json"


def ui_state_path(state_db: Path) -> Path:
    """The UI state file: the dashboard's remembered choices, next to ``state_db`` (the
    store's file: the state itself, or a PostgreSQL site's file on this host)."""
    return state_db.parent / UI_STATE_NAME


def read_ui_state(path: Path) -> dict[str, Any]:
    """The saved choices; a missing or unreadable file is no choice (it is only a preference)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def saved_theme(path: Path) -> str | None:
    theme = read_ui_state(path).get("theme")
    return theme if isinstance(theme, str) and theme else None


def save_theme(name: str, path: Path) -> str:
    """Keep ``name`` as the chosen theme in the UI state file (other keys kept), written
    atomically and private (0600). OSError when the folder is not writable. Returns a
    one-line description of what was done."""
    data = {**read_ui_state(path), "theme": name}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return f"theme {name} kept in {path}"


def no_greys(filters: list[LineFilter]) -> list[LineFilter]:
    """NO_COLOR with a theme that is not ANSI: Textual's Monochrome filter still sends
    256-colour greys; NoColor sends the terminal's own colours only (bold, reverse and
    underline carry the state, as `:nocolor` in bayops.tcss asks)."""
    return [NoColor() if isinstance(f, Monochrome) else f for f in filters]
