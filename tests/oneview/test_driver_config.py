"""The [oneview] table: every mistake is one BadInput naming its key, and the password
never leaves the Login that holds it."""
from __future__ import annotations

import pickle

import pytest

from tui.drivers.oneview.config import parse_config
from tui.model.errors import BadInput

URL = "https://oneview.example.net"


def parse(tmp_path, warnings=None, **section):
    return parse_config(section, tmp_path, (warnings if warnings is not None else []).append)


def test_password_from_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("OV_PW", "s3cret-Pw")
    cfg = parse(tmp_path, url=URL, user="svc", password_env="OV_PW")
    assert cfg.login.password == "s3cret-Pw"
    assert "s3cret-Pw" not in repr(cfg) + repr(cfg.login) + str(cfg.login)
    with pytest.raises(TypeError):
        pickle.dumps(cfg.login)


def test_password_from_a_private_file_only(tmp_path):
    creds = tmp_path / "ov.toml"
    creds.write_text('user = "svc"\npassword = "s3cret-Pw"\nlogin_domain = "corp"\n')
    creds.chmod(0o644)
    with pytest.raises(BadInput, match=r"oneview\.credentials_file: .*chmod 600"):
        parse(tmp_path, url=URL, credentials_file="ov.toml")
    creds.chmod(0o600)
    cfg = parse(tmp_path, url=URL, credentials_file="ov.toml")
    assert (cfg.login.user, cfg.login.domain) == ("svc", "corp")


@pytest.mark.parametrize(("section", "key"), [
    ({}, "oneview.url"),
    ({"url": "http://oneview.example.net"}, "oneview.url"),
    ({"url": "https://admin:pw@oneview.example.net"}, "oneview.url"),
    ({"url": URL}, "oneview.credentials_file"),
    ({"url": URL, "password_env": "OV_UNSET_PW", "user": "svc"}, "oneview.password_env"),
    ({"url": URL, "password_env": "OV_PW"}, "oneview.user"),
    ({"url": URL, "password": "inline"}, "oneview.password"),
    ({"url": URL, "password_env": "OV_PW", "user": "svc", "retries": -1}, "oneview.retries"),
    ({"url": URL, "password_env": "OV_PW", "user": "svc", "ca_file": "nope.pem"}, "oneview.ca_file"),
    ({"url": URL, "password_env": "OV_PW", "user": "svc", "spare_label": "no spaces"}, "oneview.spare_label"),
])
def test_a_mistake_names_its_key(tmp_path, monkeypatch, section, key):
    monkeypatch.setenv("OV_PW", "pw")
    monkeypatch.delenv("OV_UNSET_PW", raising=False)
    with pytest.raises(BadInput) as caught:
        parse(tmp_path, **section)
    assert str(caught.value).startswith(f"config: {key}:")
    assert "inline" not in str(caught.value) and ":pw@" not in str(caught.value)


def test_tls_off_only_when_said_and_then_warned(tmp_path, monkeypatch):
    monkeypatch.setenv("OV_PW", "pw")
    warnings: list[str] = []
    assert not parse(tmp_path, warnings, url=URL, user="svc", password_env="OV_PW").insecure
    assert warnings == []
    assert parse(tmp_path, warnings, url=URL, user="svc", password_env="OV_PW", insecure=True).insecure
    assert len(warnings) == 1 and "verification is OFF" in warnings[0]
