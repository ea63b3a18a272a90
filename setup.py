"""Build shim: maps sim/, policies/, real/ into the `greenroom` package and installs the
ROS 2 share files (ament index entry, package.xml, launch files, assets).

pip reads metadata from pyproject.toml; colcon's ament_python build needs this file.
"""
from __future__ import annotations

import os
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
MAPPED = {"greenroom.sim": "sim", "greenroom.policies": "policies", "greenroom.real": "real"}


def _packages() -> list[str]:
    packages = ["greenroom"]
    for prefix, folder in MAPPED.items():
        packages.append(prefix)
        packages += [f"{prefix}.{sub}" for sub in find_packages(str(ROOT / folder))]
    return packages


def _tree(src: str, dest: str) -> list[tuple[str, list[str]]]:
    entries = []
    for dirpath, _, filenames in os.walk(ROOT / src):
        files = [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in sorted(filenames)]
        if files:
            rel = os.path.relpath(dirpath, ROOT / src)
            entries.append((os.path.normpath(os.path.join(dest, rel)), files))
    return entries


setup(
    packages=_packages(),
    package_dir={"greenroom": "greenroom", **MAPPED},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/greenroom"]),
        ("share/greenroom", ["package.xml"]),
        *_tree("launch", "share/greenroom/launch"),
        *_tree("assets", "share/greenroom/assets"),
    ],
)
