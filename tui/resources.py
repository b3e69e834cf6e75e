"""Where the packaged default config and themes are, in a wheel or in a checkout."""
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Path of a file shipped with bayops (``config.toml``, ``themes/...``).

    A wheel carries them in ``tui/_data``; a checkout or editable install keeps them at
    the repository root.
    """
    bundled = _PACKAGE / "_data" / name
    if bundled.exists():
        return bundled
    return _PACKAGE.parent / name
