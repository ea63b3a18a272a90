"""Build the wheel the way a user or colcon would, and check what it ships.

An editable install hides mapping mistakes (sim/ -> greenroom.sim ...) and installs no
data_files, so this test builds a real wheel from a copy of the source tree, checks its
contents (modules, launch files, package.xml, ament index entry, assets, console scripts),
imports every module from a ``pip install --target`` of it, and finds the package share
through ament_index after a ``pip install --prefix``.
"""
from __future__ import annotations

import configparser
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from greenroom.real.common.procs import stop_process

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
MAPPED = {"sim": "greenroom/sim", "policies": "greenroom/policies", "real": "greenroom/real", "greenroom": "greenroom"}
IGNORED = (".venv", ".venv-colcon*", ".git", "runs", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".gl", ".whl",
           "*.mcap")  # not *.onnx: the bundled policy in assets/policies is installed


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*IGNORED))
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(source))
    (path,) = (work / "dist").glob("greenroom-*.whl")
    return path


def _source_modules() -> list[str]:
    """Wheel paths (greenroom/...) of every Python file in the mapped source folders."""
    paths = []
    for folder, target in MAPPED.items():
        for file in sorted((REPO / folder).rglob("*.py")):
            if "__pycache__" not in file.parts:
                paths.append(f"{target}/{file.relative_to(REPO / folder).as_posix()}")
    return paths


def _entry_points(names: list[str], archive: zipfile.ZipFile) -> dict[str, str]:
    (entry_file,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(archive.read(entry_file).decode())
    return dict(parser["console_scripts"])


# real/ modules with a main() that are tools run with `python -m`, not nodes: no console script.
NOT_NODES = {"runner.py", "camera_publisher.py"}


def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        scripts = _entry_points(names, archive)
        (metadata_file,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_file).decode()
    # requires-python and license come from setup.py (dynamic, for colcon): still in the metadata
    assert "\nRequires-Python: >=3.10\n" in metadata and "\nLicense-Expression: Apache-2.0\n" in metadata, metadata[:800]
    data = next(n.split("/data/")[0] for n in names if ".data/data/" in n) + "/data/"
    for folder in ("sim", "policies", "real"):
        for package in sorted(p for p in (REPO / folder).rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
            if any(package.glob("*.py")):
                assert (package / "__init__.py").is_file(), \
                    f"{package.relative_to(REPO)} has modules but no __init__.py: the wheel leaves them out"
    missing_modules = sorted(set(_source_modules()) - set(names))
    assert not missing_modules, f"modules missing from the wheel (package list/mapping in setup.py?): {missing_modules}"
    shares = {n[len(data):] for n in names if n.startswith(data)}
    launch_files = sorted(p.name for p in (REPO / "launch").glob("*.launch.yaml"))
    assert {"flight.launch.yaml", "flight_sim.launch.yaml"} <= set(launch_files)
    expected = {f"share/greenroom/launch/{name}" for name in launch_files}
    expected |= {"share/greenroom/package.xml", "share/ament_index/resource_index/packages/greenroom"}
    expected |= {f"share/greenroom/assets/{p.relative_to(REPO / 'assets').as_posix()}"
                 for p in (REPO / "assets").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert not sorted(expected - shares), f"share files missing from the wheel: {sorted(expected - shares)}"
    # Every node (a real/ module with a main()) has a console script, and every script points at a shipped module.
    nodes = {f"greenroom.real.{p.relative_to(REPO / 'real').with_suffix('').as_posix().replace('/', '.')}"
             for p in (REPO / "real").rglob("*.py")
             if "__pycache__" not in p.parts and "\ndef main(" in p.read_text() and p.name not in NOT_NODES}
    targets = {value.split(":")[0].strip() for value in scripts.values()}
    assert not sorted(nodes - targets), f"node modules without a console script: {sorted(nodes - targets)}"
    assert "greenroom" in scripts and {"flight_policy", "flight_sim_bridge", "topic_recorder"} <= set(scripts)
    for name, value in scripts.items():
        module = value.split(":")[0].strip()
        assert f"{module.replace('.', '/')}.py" in names, f"console script {name} -> {module}, not in the wheel"


_IMPORT_ALL = textwrap.dedent("""\
    import importlib, json, pathlib, sys
    from importlib import metadata
    root = pathlib.Path(sys.argv[1])
    result = {"imported": [], "skipped": {}, "failed": {}, "outside": [], "scripts": {}}
    for path in sorted((root / "greenroom").rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            top = (exc.name or "").split(".")[0]
            (result["failed"] if top in ("", "greenroom") else result["skipped"])[name] = repr(exc)
            continue
        except Exception as exc:
            result["failed"][name] = repr(exc)
            continue
        result["imported"].append(name)
        if not str(pathlib.Path(module.__file__).resolve()).startswith(str(root.resolve())):
            result["outside"].append(f"{name}: {module.__file__}")
    dist = metadata.Distribution.at(next(root.glob("greenroom-*.dist-info")))
    for entry in dist.entry_points.select(group="console_scripts"):
        try:
            entry.load()
            result["scripts"][entry.name] = "ok"
        except Exception as exc:
            result["scripts"][entry.name] = repr(exc)
    print(json.dumps(result))
    """)


def test_every_module_imports_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    _pip("install", "--no-deps", "--target", str(target), str(wheel))  # --target never touches this venv
    env = dict(os.environ, PYTHONPATH=str(target), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL, str(target)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result["failed"], f"modules that fail to import from the wheel: {result['failed']}"
    assert not result["outside"], f"modules imported from outside the installed wheel: {result['outside']}"
    # Optional third-party packages may be absent; that is the only accepted reason to skip a module.
    if result["skipped"]:
        print("skipped (optional dependency not installed):", result["skipped"])
    assert len(result["imported"]) >= len(_source_modules()) - len(result["skipped"])
    broken = {name: why for name, why in result["scripts"].items() if why != "ok"}
    assert not broken, f"console scripts that do not load: {broken}"


def _installed_greenroom() -> str:
    """Where this environment's greenroom distribution is installed (a fresh process: no caches)."""
    code = "from importlib import metadata; d = metadata.distribution('greenroom'); print(d.version, d._path)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_ament_index_finds_the_prefix_install(wheel: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    before = _installed_greenroom()
    # --ignore-installed: without it pip *uninstalls* the venv's (editable) greenroom while
    # installing into the prefix (as --target does implicitly).
    _pip("install", "--no-deps", "--ignore-installed", "--prefix", str(prefix), str(wheel))
    assert _installed_greenroom() == before, "the prefix install touched this environment's greenroom"
    code = textwrap.dedent("""\
        import pathlib
        from ament_index_python.packages import get_package_share_directory, get_packages_with_prefixes
        share = pathlib.Path(get_package_share_directory("greenroom"))
        print(share)
        print(get_packages_with_prefixes()["greenroom"])
        """)
    env = dict(os.environ, AMENT_PREFIX_PATH=f"{prefix}{os.pathsep}{sys.prefix}")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    share, found_prefix = done.stdout.split()
    assert Path(share) == prefix / "share" / "greenroom" and Path(found_prefix) == prefix
    assert (prefix / "share" / "greenroom" / "package.xml").is_file()
    for launch_file in (REPO / "launch").glob("*.launch.yaml"):
        assert (Path(share) / "launch" / launch_file.name).read_text() == launch_file.read_text()
    assert (prefix / "bin" / "topic_recorder").is_file() and (prefix / "bin" / "flight_policy").is_file()


@pytest.mark.ros
def test_pip_route_runs_greenroom_launch_not_ros2_launch(wheel: Path, tmp_path: Path, ros_domain: int) -> None:
    """README "On the robot": a pip install gives the nodes in bin/ and ``greenroom launch`` of the
    installed launch files; ``ros2 launch`` needs colcon's lib/greenroom and says so."""
    prefix = tmp_path / "prefix"
    _pip("install", "--no-deps", "--ignore-installed", "--prefix", str(prefix), str(wheel))
    site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    env = dict(os.environ, AMENT_PREFIX_PATH=f"{prefix}{os.pathsep}{sys.prefix}", PYTHONPATH=str(site),
               PYTHONUNBUFFERED="1")
    model = REPO / "assets" / "policies" / "flight" / "policy.onnx"
    ros2 = Path(sys.executable).parent / "ros2"
    if (REPO.parent / "shared" / "ros2-cli").is_dir():  # else: ros2 is not installed here
        done = subprocess.run([str(ros2), "launch", "-n", "greenroom", "flight.launch.yaml", f"model:={model}"],
                              env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode != 0 and "libexec directory" in done.stdout + done.stderr, done.stdout + done.stderr
    launch = subprocess.Popen([str(prefix / "bin" / "greenroom"), "launch",
                               str(prefix / "share" / "greenroom" / "launch" / "flight.launch.yaml"), f"model:={model}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    lines: list[str] = []
    try:
        for line in iter(launch.stdout.readline, ""):  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("[flight_policy]") and str(model) in line:  # the node's start-up message
                break
        assert launch.poll() is None, "".join(lines)
    finally:
        code = stop_process(launch, 30, first=signal.SIGINT)
    assert code == 0, "".join(lines) + launch.stdout.read()  # type: ignore[union-attr]
    started = next(line for line in lines if "started flight_policy" in line)
    assert "greenroom flight_policy" in started
