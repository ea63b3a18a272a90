"""Issue 16: every case of "Why" gives one line with exit code 2 and leaves nothing behind."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from greenroom.policies.runtime import ContractError, contract_path_for

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from hardening_support import REPO, assert_clean_error, cli, run_greenroom, smoke_flight_export, tree  # noqa: E402

FINRAY_BUNDLED = REPO / "assets" / "policies" / "finray" / "policy.onnx"


# -- overrides ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("override", "needles"), [
    ("network.channels=[16,", ("network.channels=[16,", "cannot be parsed")),
    ("env.randomization=5", ("'env.randomization' is a group of settings", "env.randomization.camera")),
    ("lr=nan", ("'lr' must be a finite number", "nan")),
    ("lr=inf", ("'lr' must be a finite number",)),
    ("network.channels=[16,abc]", ("network.channels=[16,abc]", "Integer")),
    ("env..image_size=3", ("is not a config key",)),
    ("env.image_size=-3", ("image_size",)),
])
def test_bad_override_is_one_line_and_creates_no_run(runs_dir: Path, capsys: pytest.CaptureFixture[str],
                                                     override: str, needles: tuple[str, ...]) -> None:
    code, err = cli(["train", "flight", "--preset", "smoke", override], capsys)
    assert_clean_error(code, err, *needles)
    assert not runs_dir.exists()


# -- textures ----------------------------------------------------------------------------------
def _textures(tmp_path: Path, name: str, make) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / "textures"
    folder.mkdir()
    make(folder / name)
    return folder


def _big_png(size: int):  # type: ignore[no-untyped-def]
    from PIL import Image

    return lambda path: Image.new("1", (size, size)).save(path)  # 1 bit/px: tiny to make, huge as RGB


@pytest.mark.parametrize(("name", "make", "needles"), [
    ("a.png", lambda p: p.write_bytes(b"not a png at all"), ("a.png", "cannot be read")),
    ("big.png", _big_png(5000), ("big.png", "5000x5000", "downscale")),
    ("bomb.png", _big_png(12000), ("bomb.png", "decompression bomb")),
])
def test_bad_texture_is_one_line_before_any_run(runs_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                name: str, make, needles: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    folder = _textures(tmp_path, name, make)
    code, err = cli(["train", "flight", "--preset", "smoke", f"env.textures_dir={folder}"], capsys)
    assert_clean_error(code, err, *needles)
    assert not runs_dir.exists()


def test_texture_bomb_is_refused_without_decoding(tmp_path: Path) -> None:
    """A 12000x12000 PNG (a few hundred KB) is refused from its header: the process stays small."""
    folder = _textures(tmp_path, "bomb.png", _big_png(12000))
    # VmHWM: this process's peak RSS (ru_maxrss would include the forking pytest process's)
    code = ("import re\n"
            "from greenroom.sim.flight.textures import TextureError, load_photos\n"
            f"try:\n    load_photos({str(folder)!r}, 64)\nexcept TextureError as e:\n    print('refused', e)\n"
            "status = open('/proc/self/status').read()\n"
            "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0].startswith("refused") and "decompression bomb" in lines[0]
    assert int(lines[1]) < 400, f"peak RSS {lines[1]} MB: the image was decoded"  # RGB decode would be 432 MB


def test_worker_error_surfaces_as_itself_not_broken_pool(tmp_path: Path) -> None:
    """Bypass the up-front check: the error raised while a worker process starts reaches the caller."""
    import dataclasses

    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.flight.backends import RolloutPool
    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.rollout import FREE_SPACE, RolloutTask
    from greenroom.sim.flight.textures import TextureError

    folder = _textures(tmp_path, "a.png", lambda p: p.write_bytes(b"garbage"))
    config = resolve_config(FlightTrainConfig, "smoke", ["rollout.workers=1"])
    config = dataclasses.replace(config, env=dataclasses.replace(config.env, textures_dir=str(folder)))
    task = RolloutTask(kind=FREE_SPACE, task_id=0, states=1, rng_seed=0)
    pool = RolloutPool(config)
    try:
        with pytest.raises(TextureError, match="a.png"):
            list(pool.map([task]))
    finally:
        pool.close()


# -- misleading messages -----------------------------------------------------------------------
def test_file_given_as_run_and_folder_given_as_onnx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "run.txt"
    file.write_text("x")
    for args in (["evaluate", file], ["export", file], ["train", "flight", "--resume", file]):
        code, err = cli(args, capsys)
        assert_clean_error(code, err, str(file), "is a file, not a run directory")
    for args in (["evaluate", "--onnx", tmp_path], ["play", "flight", "--preset", "smoke", "--policy", tmp_path,
                                                   "--out", tmp_path / "play"]):
        code, err = cli(args, capsys)
        assert_clean_error(code, err, str(tmp_path), "is a folder")
    assert not (tmp_path / "play").exists()


def test_binary_launch_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "robot.launch.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    code, err = cli(["launch", binary], capsys)
    assert_clean_error(code, err, str(binary), "UTF-8")
    code, err = cli(["launch", tmp_path], capsys)
    assert_clean_error(code, err, str(tmp_path), "is a folder")


def test_changed_model_prints_hashes_that_differ(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib

    model = tmp_path / "policy.onnx"
    model.write_bytes(FINRAY_BUNDLED.read_bytes() + b"\0")
    shutil.copy(contract_path_for(FINRAY_BUNDLED), contract_path_for(model))
    code, err = cli(["evaluate", "--onnx", model], capsys)
    line = assert_clean_error(code, err, "changed after export")
    assert hashlib.sha256(model.read_bytes()).hexdigest() in line
    assert hashlib.sha256(FINRAY_BUNDLED.read_bytes()).hexdigest() in line
    assert tree(tmp_path) == {"policy.onnx", "policy.contract.json"}


# -- contracts ---------------------------------------------------------------------------------
def _finray_copy(tmp_path: Path, **spec_changes: object) -> Path:
    model = tmp_path / "policy.onnx"
    shutil.copy(FINRAY_BUNDLED, model)
    payload = json.loads(contract_path_for(FINRAY_BUNDLED).read_text())
    payload["spec"].update(spec_changes)
    contract_path_for(model).write_text(json.dumps(payload))
    return model


@pytest.mark.parametrize(("changes", "needles"), [
    ({"n_rays": 4}, ("n_rays is 4",)),
    ({"history_steps": 2}, ("history_steps 2",)),
    ({"history_steps": -1}, ("'history_steps'",)),
    ({"max_angle": 40.0}, ("'max_angle' is 40.0",)),
    ({"control_hz": 0}, ("'control_hz' is 0",)),
    ({"history_frame": "sideways"}, ("'history_frame'", "full, compact")),
    ({"force_scale": 0.3}, ("edited after export",)),  # in range: only the seal can tell
])
def test_finray_contract_fields_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            changes: dict, needles: tuple[str, ...]) -> None:
    from greenroom.policies.finray.runtime import FinRayRuntimePolicy

    model = _finray_copy(tmp_path, **changes)
    with pytest.raises(ContractError) as info:
        FinRayRuntimePolicy(model)
    for needle in needles:
        assert needle in str(info.value)
    code, err = cli(["evaluate", "--onnx", model], capsys)
    assert_clean_error(code, err, str(model.parent), *needles)


def test_finray_evaluate_compares_the_contract_with_the_env(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = cli(["evaluate", "--onnx", FINRAY_BUNDLED, "env.max_angle=0.5", "env.control_hz=40"], capsys)
    assert_clean_error(code, err, "env.max_angle=0.6", "env.control_hz=50.0", "pass those overrides")


@pytest.fixture(scope="module")
def flight_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return smoke_flight_export(tmp_path_factory.mktemp("flight"))


@pytest.mark.parametrize(("edit", "needles"), [
    (lambda s: s.update(control_hz=1e9), ("'control_hz' is 1000000000.0", "(0, 200]")),
    (lambda s: s.update(control_hz=0), ("'control_hz' is 0",)),
    (lambda s: s.update(control_hz="fast"), ("'control_hz' must be a number",)),
    (lambda s: s["limits"].update(vx=-1.0), ("'vx' is -1.0",)),
    (lambda s: s["limits"].pop("yaw_rate"), ("'limits' must map exactly",)),
    (lambda s: s["limits"].update(vz=0.1), ("vz up to 0.5", "limits.vz 0.1", "cover the action set")),
    (lambda s: s.update(image_height=10**6), ("'image_height'",)),
    (lambda s: s["limits"].update(vx=3.0), ("edited after export",)),
])
def test_flight_contract_fields_are_range_checked(flight_export: Path, tmp_path: Path, edit,  # type: ignore[no-untyped-def]
                                                  needles: tuple[str, ...]) -> None:
    from greenroom.policies.runtime.flight import FlightRuntimePolicy

    model = tmp_path / "policy.onnx"
    shutil.copy(flight_export, model)
    payload = json.loads(contract_path_for(flight_export).read_text())
    edit(payload["spec"])
    contract_path_for(model).write_text(json.dumps(payload))
    with pytest.raises(ContractError) as info:
        FlightRuntimePolicy(model)
    assert str(contract_path_for(model)) in str(info.value)
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def test_flight_evaluate_compares_limits_and_rate(flight_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = cli(["evaluate", "--onnx", flight_export, "--preset", "smoke", "env.control_hz=20",
                     "env.max_steps=400", "env.max_lateral_speed=0.7"], capsys)  # 400 steps: the cap is reachable
    assert_clean_error(code, err, "control_hz", "does not match the evaluation env")


# -- the terminal --------------------------------------------------------------------------------
def test_debug_shows_the_traceback_and_plain_runs_do_not(tmp_path: Path) -> None:
    plain = run_greenroom(["train", "flight", "--preset", "smoke", "lr=nan"], cwd=tmp_path)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().count("\n") == 0 and "'lr' must be a finite number" in plain.stderr
    debug = run_greenroom(["train", "flight", "--preset", "smoke", "lr=nan", "--debug"], cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "ConfigError" in debug.stderr
    env = run_greenroom(["export", tmp_path / "missing"], cwd=tmp_path, env={"GREENROOM_DEBUG": "1"})
    assert "Traceback" in env.stderr
    assert tree(tmp_path) == set()


# -- failures after the run directory exists ---------------------------------------------------
def test_run_that_fails_before_its_first_checkpoint_is_removed(runs_dir: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A robot file pybullet cannot parse fails inside training: the new run and runs/ go again."""
    urdf = tmp_path / "robot.urdf"
    urdf.write_text("this is not xml")
    code, err = cli(["train", "pushgrasp", "--preset", "smoke", f"env.robot_urdf={urdf}"], capsys)
    assert_clean_error(code, err, str(urdf), "cannot be loaded", "env.robot_urdf")
    assert not runs_dir.exists()


def test_bad_textures_in_evaluate_and_play_write_nothing(flight_export: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = _textures(tmp_path, "a.png", lambda p: p.write_bytes(b"garbage"))
    model = tmp_path / "model" / "policy.onnx"
    model.parent.mkdir()
    shutil.copy(flight_export, model)
    shutil.copy(contract_path_for(flight_export), contract_path_for(model))
    before = tree(tmp_path)
    code, err = cli(["evaluate", "--onnx", model, "--preset", "smoke", f"env.textures_dir={folder}"], capsys)
    assert_clean_error(code, err, "a.png")
    code, err = cli(["play", "flight", "--preset", "smoke", "--out", tmp_path / "play", f"env.textures_dir={folder}"],
                    capsys)
    assert_clean_error(code, err, "a.png")
    assert tree(tmp_path) == before
