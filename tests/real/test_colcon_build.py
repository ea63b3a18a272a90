"""``colcon build`` of this repository in a workspace (``src/greenroom``), as every robot builds it.

colcon comes from the package index (greenroom.real.launch.colcon.COLCON_REQUIREMENTS, its own
venv: colcon-core pins setuptools < 80). Checked: the install tree has every console script as a
node executable in ``lib/greenroom`` (what ``ros2 run``/``ros2 launch`` execute), the launch
files, assets and package.xml in ``share/greenroom``, the ament index entry, the metadata
(Requires-Python, license), and that ``. install/setup.sh`` puts the install tree first so the
executables import greenroom from it. A second build uses the setuptools of Ubuntu 24.04 (ROS 2
Jazzy/Kilted), which reads a pyproject.toml differently from setuptools >= 77.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from greenroom.real.launch.colcon import (UBUNTU_2404_SETUPTOOLS, build_workspace, colcon_site_packages,
                                          ros2_environment)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])
PKG_INFO = "lib/python{0}.{1}/site-packages/greenroom-0.1.0-py{0}.{1}.egg-info/PKG-INFO".format(*sys.version_info[:2])


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _check_tree(prefix: Path) -> None:
    for script in SCRIPTS:
        exe = prefix / "lib" / "greenroom" / script
        assert exe.is_file() and os.access(exe, os.X_OK), f"node executable {exe} missing (setup.cfg install_scripts?)"
        assert exe.read_text().splitlines()[0] == f"#!{sys.executable}", "colcon ran on another interpreter"
    share = prefix / "share" / "greenroom"
    assert (share / "package.xml").read_bytes() == (REPO / "package.xml").read_bytes()
    assert _files(share / "launch") == _files(REPO / "launch")
    assert _files(share / "assets") == _files(REPO / "assets")
    assert (prefix / "share" / "ament_index" / "resource_index" / "packages" / "greenroom").is_file()


def test_install_tree(colcon_install: Path, tmp_path: Path) -> None:
    prefix = colcon_install / "greenroom"
    _check_tree(prefix)
    assert not (prefix / "bin").exists(), "console scripts belong in lib/greenroom only"
    metadata = (prefix / PKG_INFO).read_text()
    assert "\nRequires-Python: >=3.10\n" in metadata and "\nLicense-Expression: Apache-2.0\n" in metadata, metadata[:600]

    env = ros2_environment(colcon_install, dict(os.environ, AMENT_PREFIX_PATH=sys.prefix))
    assert env["AMENT_PREFIX_PATH"].split(os.pathsep)[:2] == [str(prefix), sys.prefix]
    code = ("import greenroom.real.flight.policy_node as m; from ament_index_python.packages import "
            "get_package_share_directory as share; print(m.__file__); print(share('greenroom'))")
    # from a neutral folder: in the repository root its greenroom/ would shadow the install tree
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module, share = done.stdout.split()
    assert Path(module).is_relative_to(prefix) and Path(share) == prefix / "share" / "greenroom"
    # a node executable starts from the install tree: argument errors are reported by the node itself
    done = subprocess.run([str(prefix / "lib" / "greenroom" / "greenroom"), "--help"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and "launch" in done.stdout, done.stdout + done.stderr


def test_builds_with_the_setuptools_of_ubuntu_24_04(colcon_install: Path) -> None:
    """setuptools 68 (Ubuntu 24.04's python3-setuptools) has no SPDX license strings in pyproject.toml."""
    cache = REPO / "build" / "colcon-setuptools68"
    target = cache / "site"
    if not (target / "setuptools").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "install", "-q", "--target",
                        str(target), UBUNTU_2404_SETUPTOOLS], check=True, capture_output=True, timeout=300)
    site = colcon_site_packages(REPO / ".venv-colcon")  # created by the colcon_install fixture
    install = build_workspace(REPO, cache / "builds", site, prepend=[target], keep=1)
    prefix = install / "greenroom"
    _check_tree(prefix)
    metadata = (prefix / PKG_INFO).read_text()
    assert "\nRequires-Python: >=3.10\n" in metadata and "Apache-2.0" in metadata, metadata[:600]
    done = subprocess.run([sys.executable, "-c", "import setuptools; print(setuptools.__version__)"],
                          env=dict(os.environ, PYTHONPATH=f"{target}{os.pathsep}{site}"), capture_output=True, text=True)
    assert done.stdout.strip() == UBUNTU_2404_SETUPTOOLS.split("==")[1]
