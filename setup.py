"""Puts the templates, static files and default Hypercorn settings inside the built package.

They live at the top of the repository, where a checkout finds them; a wheel has no top, so
the build copies them into ``quart_app/``, where ``quart_app.resources`` looks first. An
editable install needs no copy: it runs from the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCES = ("templates", "static", "hypercorn.toml")
# Vendored for the browser tests only (they inject it into pages); no page of a wheel needs it.
TEST_ONLY = shutil.ignore_patterns("axe.min.js")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "quart_app"
        for name in RESOURCES:
            source, target = ROOT / name, package / name
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True, ignore=TEST_ONLY)
            else:
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithResources})
