"""Copies the root config.toml and themes/ into the wheel as tui/_data.

They stay at the repository root (the agreed layout); an editable install reads them
there, a built wheel carries this copy.
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


setup(cmdclass={"build_py": BuildPyWithData})
