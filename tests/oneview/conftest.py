"""Fixtures for tests against the OneView emulator (tests/oneview/emulator.py)."""

from __future__ import annotations

import pytest

from .emulator import OneViewEmulator, self_signed
from .inventory import small_spec


@pytest.fixture(scope="session")
def oneview_tls(tmp_path_factory):
    """One self-signed certificate for 127.0.0.1 shared by the session's emulators."""
    return self_signed(tmp_path_factory.mktemp("oneview-tls"))


@pytest.fixture
def oneview(tmp_path, oneview_tls):
    """A started emulator of small_spec() with 50 ms tasks; stopped at teardown."""
    emu = OneViewEmulator(tmp_path / "oneview", small_spec(), task_delay=0.05, tls=oneview_tls).start()
    yield emu
    emu.stop()
