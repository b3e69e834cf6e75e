"""Copies the root config.toml and themes/ into the wheel as tui/_data, and ships the
docs and the systemd unit as data files.

They stay at the repository root (the agreed layout); an editable install reads them
there, a built wheel carries this copy. The docs and the unit land beside the venv they
are installed into (/opt/bayops/docs, /opt/bayops/deploy: docs/deploy.md), where the
unit's Documentation= points.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        data = Path(self.build_lib) / "tui" / "_data"
        data.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "config.toml", data / "config.toml")
        shutil.copytree(ROOT / "themes", data / "themes", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithData},
      data_files=[("docs", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").iterdir())),
                  ("deploy", ["deploy/bayops.service"])])
