"""RedfishDriver.from_config: the [redfish] table, credentials, warnings. No network."""

from __future__ import annotations

import os
import pickle

import pytest

from tui.drivers.redfish import RedfishDriver
from tui.drivers.redfish.config import Credentials
from tui.model.errors import BadInput

SECRET = "File-secret-Q9z!"


def system(**over):
    entry = {"bay": "enc-a1/1", "url": "https://10.0.0.5", "system": "/redfish/v1/Systems/1"}
    entry.update(over)
    return entry


def build(section, tmp_path, warnings=None):
    return RedfishDriver.from_config(section, tmp_path, (warnings if warnings is not None else []).append)


@pytest.fixture
def cred_file(tmp_path):
    path = tmp_path / "bmc.toml"
    path.write_text(f'[lab]\nuser = "ops"\npassword = "{SECRET}"\n')
    os.chmod(path, 0o600)
    return path


def test_credentials_file_readable_by_others_is_refused(tmp_path, cred_file):
    os.chmod(cred_file, 0o644)
    section = {"credentials_file": str(cred_file), "systems": [system(credentials="lab")]}
    with pytest.raises(BadInput) as info:
        build(section, tmp_path)
    message = str(info.value)
    assert message == (
        f"config: redfish.credentials_file: {cred_file} is open to group or others (mode 0644); "
        "run chmod 600 on it"
    )
    assert SECRET not in message
    os.chmod(cred_file, 0o640)
    with pytest.raises(BadInput, match="mode 0640"):
        build(section, tmp_path)


def test_credentials_file_0600_relative_to_config_dir(tmp_path, cred_file, monkeypatch):
    monkeypatch.delenv("BAYOPS_BMC_LAB_USER", raising=False)
    monkeypatch.delenv("BAYOPS_BMC_LAB_PASSWORD", raising=False)
    driver = build({"credentials_file": "bmc.toml", "systems": [system(credentials="lab")]}, tmp_path)
    spec = driver._cfg.systems[0]
    assert spec.credentials.user == "ops" and spec.credentials.password == SECRET
    for text in (repr(driver), repr(spec), repr(spec.credentials), str(spec.credentials), repr(driver._cfg)):
        assert SECRET not in text and "ops" not in text.replace("bayops", "")
    with pytest.raises(TypeError):
        pickle.dumps(spec.credentials)
    driver.close()


def test_environment_wins_over_the_file(tmp_path, cred_file, monkeypatch):
    monkeypatch.setenv("BAYOPS_BMC_LAB_USER", "envuser")
    monkeypatch.setenv("BAYOPS_BMC_LAB_PASSWORD", "envpass")
    driver = build({"credentials_file": str(cred_file), "systems": [system(credentials="lab")]}, tmp_path)
    assert driver._cfg.systems[0].credentials.user == "envuser"


def test_missing_credentials_name_the_variables(tmp_path, monkeypatch):
    monkeypatch.delenv("BAYOPS_BMC_RACK_7_USER", raising=False)
    monkeypatch.delenv("BAYOPS_BMC_RACK_7_PASSWORD", raising=False)
    with pytest.raises(BadInput) as info:
        build({"systems": [system(credentials="rack-7")]}, tmp_path)
    assert str(info.value) == (
        "config: redfish.systems[0].credentials: no credentials 'rack-7': set BAYOPS_BMC_RACK_7_USER "
        "and BAYOPS_BMC_RACK_7_PASSWORD (no credentials_file)"
    )
    monkeypatch.setenv("BAYOPS_BMC_RACK_7_USER", "u")
    with pytest.raises(BadInput, match="BAYOPS_BMC_RACK_7_USER is set but BAYOPS_BMC_RACK_7_PASSWORD is not"):
        build({"systems": [system(credentials="rack-7")]}, tmp_path)


def test_verify_false_is_warned(tmp_path):
    warnings: list[str] = []
    section = {"systems": [system(verify=False), system(bay="enc-a1/2", verify=False)]}
    driver = build(section, tmp_path, warnings)
    assert warnings == [
        "redfish: TLS certificate verification is OFF for https://10.0.0.5 (enc-a1/1): "
        "anyone on the path can impersonate this BMC"
    ]
    driver.close()
    silent: list[str] = []
    build({"systems": [system()]}, tmp_path, silent)
    assert silent == []


def test_ca_bundle_must_hold_a_certificate(tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(BadInput, match=r"^config: redfish\.ca_bundle: .*ca\.pem holds no PEM certificate$"):
        build({"ca_bundle": "ca.pem", "systems": [system()]}, tmp_path)
    with pytest.raises(
        BadInput, match=r"^config: redfish\.ca_bundle: .*missing\.pem is not a readable file$"
    ):
        build({"ca_bundle": "missing.pem"}, tmp_path)


@pytest.mark.parametrize(
    "section, expected",
    [
        ({"bogus": 1}, "config: redfish.bogus: unknown key"),
        ({"concurrency": 0}, "config: redfish.concurrency: must be between 1 and 1024, got 0"),
        ({"concurrency": "64"}, "config: redfish.concurrency: must be an integer, got str"),
        ({"timeout": True}, "config: redfish.timeout: must be a number, got bool"),
        ({"retries": 1.5}, "config: redfish.retries: must be an integer, got 1.5"),
        ({"systems": {"bay": "x"}}, "config: redfish.systems: must be an array of tables"),
        ({"systems": [system(bay="enc-a1")]}, "config: redfish.systems[0].bay: 'enc-a1' is not a bay id"),
        (
            {"systems": [system(bay="enc-a1/17")]},
            "config: redfish.systems[0].bay: 'enc-a1/17': bay number must be 1..16",
        ),
        (
            {"systems": [system(), system()]},
            "config: redfish.systems[1].bay: enc-a1/1 is already mapped by systems[0]",
        ),
        (
            {"systems": [system(url="ftp://10.0.0.5")]},
            "config: redfish.systems[0].url: scheme must be https or http",
        ),
        (
            {"systems": [system(url="https://10.0.0.5/redfish/v1")]},
            "must be the BMC's base URL, without a path",
        ),
        (
            {"systems": [system(system="/Systems/1")]},
            "config: redfish.systems[0].system: '/Systems/1' is not a path",
        ),
        ({"systems": [system(verify="no")]}, "config: redfish.systems[0].verify: must be true or false"),
        ({"systems": [system(port=1)]}, "config: redfish.systems[0].port: unknown key"),
        (
            {"systems": [system(aliases="ilo.example.net")]},
            "config: redfish.systems[0].aliases: must be a list of host names",
        ),
        (
            {"systems": [system(aliases=["https://ilo.example.net/"])]},
            "config: redfish.systems[0].aliases: must be a list of host names",
        ),
        (
            {"systems": [system(), system(bay="enc-a1/2", verify=False)]},
            "config: redfish.systems: https://10.0.0.5 appears with both verify = true and verify = false",
        ),
    ],
)
def test_bad_input_is_one_line(tmp_path, section, expected):
    with pytest.raises(BadInput) as info:
        build(section, tmp_path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_url_with_credentials_is_refused_without_echoing_them(tmp_path):
    with pytest.raises(BadInput) as info:
        build({"systems": [system(url="https://admin:hunter2@10.0.0.5")]}, tmp_path)
    assert (
        str(info.value)
        == "config: redfish.systems[0].url: must not carry credentials; use credentials = NAME"
    )


def test_credentials_repr_hides_everything_secret():
    cred = Credentials("lab", "root", "pw-123456")
    assert repr(cred) == "Credentials(name='lab', user=<hidden>, password=<hidden>)"
    assert "pw-123456" not in f"{cred}"


def test_empty_table_is_a_driver_with_no_bays(tmp_path):
    driver = build({}, tmp_path)
    assert driver.discover(["enc-a1/1"]) == {"enc-a1/1": None}
    assert driver.read(["enc-a1/1"])["enc-a1/1"].power == "unknown"
    driver.close()
    driver.close()  # idempotent
