"""The config's record (issue 22, first paint): a config found valid is not parsed by
tomllib again while its bytes stay the same; the validator judges it every time, and a
record the user does not alone control is no record."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import write_config
from tui.core import config as config_module
from tui.core.config import load_config
from tui.model.errors import BadInput


@pytest.fixture
def toml_reads(monkeypatch) -> list[Path]:
    """The paths tomllib parsed (the record's misses)."""
    reads: list[Path] = []
    real = config_module._read_toml

    def counted(text: str, path: Path):
        reads.append(path)
        return real(text, path)
    monkeypatch.setattr(config_module, "_read_toml", counted)
    return reads


def _record() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "bayops" / "config-valid"


def test_a_config_found_valid_is_read_from_its_record(tmp_path, toml_reads):
    path = write_config(tmp_path / "config.toml")
    first = load_config(path, remember=True)
    again = load_config(path, remember=True)
    assert toml_reads == [path]  # parsed once; the second start took the record's parse
    assert again == first  # the same values, raw tables included (drivers read them)


def test_an_edit_is_parsed_and_refused_in_its_own_words(tmp_path, toml_reads):
    path = write_config(tmp_path / "config.toml")
    load_config(path, remember=True)
    good = path.read_text()
    path.write_text(good.replace("[bayops]", "[bayops]\nevacuate_parallel = 0", 1))
    with pytest.raises(BadInput, match="evacuate_parallel"):
        load_config(path, remember=True)
    path.write_text(good.replace("[bayops]", "[bayops]\nevacuate_parallel = [", 1))
    with pytest.raises(BadInput, match="not valid TOML"):
        load_config(path, remember=True)
    assert len(toml_reads) == 3


def test_a_record_others_may_write_is_no_record(tmp_path, toml_reads):
    path = write_config(tmp_path / "config.toml")
    load_config(path, remember=True)
    _record().chmod(0o622)
    load_config(path)
    assert len(toml_reads) == 2


def test_a_config_json_cannot_hold_is_parsed_each_time(tmp_path, toml_reads):
    """A TOML date (in a table the service reads) has no JSON form: such a config is
    still found valid, and parsed on every start."""
    path = write_config(tmp_path / "config.toml")
    path.write_text(path.read_text() + "\n[serve]\nsince = 2026-01-01\n")
    first = load_config(path, remember=True)
    assert load_config(path, remember=True) == first
    assert len(toml_reads) == 2
