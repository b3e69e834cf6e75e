"""Fixtures for the Redfish driver tests: sushy-emulator processes and driver factories.

sushy-tools is a hard requirement (the project's ``test`` extra installs it): if it is
missing, the emulator fixtures FAIL rather than skip, so CI cannot go green without
ever talking to a real Redfish service.
"""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess

import pytest

from tui.drivers.redfish import RedfishDriver

from .emulator import EMU_PASSWORD, EMU_USER, FAST_NAMES, SLOW_NAMES, Emulator, fake_systems, self_signed


def _require_sushy() -> None:
    if importlib.util.find_spec("sushy_tools") is None:
        pytest.fail(
            "sushy-tools is not installed: pip install -e '.[test]' (sushy-tools==2.2.0)",
            pytrace=False,
        )


def _emulator(tmp_path_factory, label: str, names: list[str], fast: bool) -> Emulator:
    _require_sushy()
    emu = Emulator(tmp_path_factory.mktemp(label), fake_systems(names),
                   auth=(EMU_USER, EMU_PASSWORD), fast=fast)
    emu.start()
    return emu


@pytest.fixture(scope="session")
def sushy_fast(tmp_path_factory):
    """8 fake systems, basic auth, power changes visible on the next GET."""
    emu = _emulator(tmp_path_factory, "sushy-fast", FAST_NAMES, fast=True)
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def sushy_slow(tmp_path_factory):
    """The emulator's real behaviour: PowerState flips 1-11 s after the 204."""
    emu = _emulator(tmp_path_factory, "sushy-slow", SLOW_NAMES, fast=False)
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def sushy_tls(tmp_path_factory):
    """One system over HTTPS with a self-signed certificate for 127.0.0.1; no auth."""
    _require_sushy()
    workdir = tmp_path_factory.mktemp("sushy-tls")
    try:
        tls = self_signed(workdir)
    except (RuntimeError, subprocess.SubprocessError) as exc:
        pytest.fail(f"cannot make a test certificate: {exc}", pytrace=False)
    emu = Emulator(workdir, fake_systems(["enc-t1-bay01"]), fast=True, tls=tls)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emu_credentials(monkeypatch):
    monkeypatch.setenv("BAYOPS_BMC_EMU_USER", EMU_USER)
    monkeypatch.setenv("BAYOPS_BMC_EMU_PASSWORD", EMU_PASSWORD)


@pytest.fixture
def make_driver(tmp_path, emu_credentials):
    """make_driver(section) -> RedfishDriver built through from_config; closed at teardown."""
    drivers: list[RedfishDriver] = []
    warnings: list[str] = []

    def build(section: dict, config_dir: pathlib.Path | None = None) -> RedfishDriver:
        driver = RedfishDriver.from_config(section, config_dir or tmp_path, warnings.append)
        drivers.append(driver)
        return driver

    build.warnings = warnings  # type: ignore[attr-defined]
    yield build
    for driver in drivers:
        driver.close()
