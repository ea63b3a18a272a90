"""Build shim: maps sim/, policies/, real/ into the `greenroom` package and installs the
ROS 2 share files (ament index entry, package.xml, launch files, assets).

pip reads metadata from pyproject.toml; colcon's ament_python build needs this file.

``requires-python`` and ``license`` are ``dynamic`` in pyproject.toml and set here, for colcon:
colcon-python-setup-py reads the configured distribution back with ``ast.literal_eval(repr(...))``,
and setuptools turns a pyproject ``requires-python`` into a ``SpecifierSet`` object whose repr
does not parse (colcon-python-setup-py issues 33 and 56), so `colcon build` failed; given here
it stays a string. The SPDX ``license = "..."`` string needs setuptools >= 77, while ROS 2
workspaces build with the distribution's setuptools (68 on Ubuntu 24.04; colcon-core pins < 80),
so the license expression is passed the way the running setuptools understands. The wheel's
metadata keeps ``Requires-Python`` and ``License-Expression`` (tests/test_packaging.py).
"""
from __future__ import annotations

import os
from pathlib import Path

import setuptools
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


# setuptools >= 77: License-Expression (PEP 639); older ones only know the License field.
_LICENSE = ({"license_expression": "Apache-2.0"} if int(setuptools.__version__.split(".")[0]) >= 77
            else {"license": "Apache-2.0"})

setup(
    python_requires=">=3.10",
    **_LICENSE,
    packages=_packages(),
    package_dir={"greenroom": "greenroom", **MAPPED},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/greenroom"]),
        ("share/greenroom", ["package.xml"]),
        *_tree("launch", "share/greenroom/launch"),
        *_tree("assets", "share/greenroom/assets"),
    ],
)
