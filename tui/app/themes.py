"""Themes are files in themes/ (TOML), turned into Textual Theme objects; the chosen one
is saved to the user config under ``[bayops] theme``."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from textual.theme import Theme

from tui.resources import data_path

THEME_KEYS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
              "background", "surface", "panel", "boost", "dark", "luminosity_spread",
              "text_alpha", "ansi")
DEFAULT_THEME = "dark"

# Fallbacks for the bayops variables, so a built-in Textual theme chosen from the
# palette still works.
VARIABLE_DEFAULTS = {
    "bay-ok": "green", "bay-warning": "yellow", "bay-critical": "red", "bay-spare": "cyan",
    "bay-maintenance": "magenta", "bay-job": "ansi_bright_cyan",
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


def save_theme(name: str, user_config: Path) -> str:
    """Write ``[bayops] theme = name`` into the user config, keeping every other key.

    A user config that names no fleet is an overlay on the packaged default, so a new
    one holds just the theme. Returns a one-line description of what was done.
    """
    import tomli_w

    data: dict[str, Any] = {}
    if user_config.exists():
        try:
            data = tomllib.loads(user_config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{user_config}: not saved, the file does not parse: {exc}") from None
    section = data.get("bayops")
    data["bayops"] = {**(section if isinstance(section, dict) else {}), "theme": name}
    user_config.parent.mkdir(parents=True, exist_ok=True)
    tmp = user_config.with_suffix(".toml.tmp")
    tmp.write_bytes(tomli_w.dumps(data).encode("utf-8"))
    tmp.replace(user_config)
    return f"theme {name} saved to {user_config}"
