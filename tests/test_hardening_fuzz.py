"""Issue 16, property tests: random overrides and random bytes as model, contract, checkpoint,
config and launch file, per task. Every example must end with exit code 2 and one line on stderr,
no traceback, nothing written outside its temp dir and no process left running.

Most examples call ``greenroom.cli.main`` in this process (fast); a few per task run the real
``greenroom`` console script to prove no traceback reaches a terminal. Bounded example counts
keep the three tests around half a minute each on 2 cores; ``GREENROOM_FUZZ_EXAMPLES=500`` runs a
longer search locally.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example as pinned, given, settings
from hypothesis import strategies as st

from greenroom.policies.runtime import contract_path_for

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from hardening_support import REPO, assert_clean_error, cli, run_greenroom, smoke_flight_export, tree  # noqa: E402

SENTINEL = {"flight": "lr=nan", "pushgrasp": "lr=nan", "finray": "sac.learning_rate=nan"}
"""Always refused, and last of all the checks: the random override before it is fully parsed,
merged and validated, yet no example can start a real training run."""
MODELS = {"finray": REPO / "assets/policies/finray/policy.onnx",
          "pushgrasp": REPO / "assets/policies/pushgrasp/pushgrasp.onnx"}
KINDS = ("override", "model", "contract", "contract_field", "checkpoint", "config", "launch")
SETTINGS = settings(max_examples=int(os.environ.get("GREENROOM_FUZZ_EXAMPLES", "30")), deadline=None, database=None, derandomize=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

def _not_a_harmless_flag(text: str) -> bool:
    """--help/--version print and exit 0, --debug shows tracebacks on purpose (argparse takes prefixes)."""
    flag = text.split("=", 1)[0]
    return not (flag == "-h" or (len(flag) >= 3 and any(f.startswith(flag) for f in ("--help", "--version", "--debug"))))


override_text = st.one_of(
    st.text(max_size=40).filter(_not_a_harmless_flag),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["env", "env.image_size", "network.channels", "lr", "seed",
                                                        "sac", "sac.batch_size", "env.randomization", "eval",
                                                        "nope", "env.textures_dir", "a.b.c"]),
              st.one_of(st.text(max_size=20), st.sampled_from(["[16,", "{", "nan", "-1", "1e999", "[]", "{a: 1}",
                                                               "null", "'x'", "!!python/object:os.system"]))),
)
json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=6)


def _children() -> set[int]:
    """Live child processes of this test process (from /proc; zombies are reaped ones)."""
    me, found = str(os.getpid()), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _run_dir(root: Path, task: str) -> Path:
    from greenroom.policies.common.config import resolve_config, save_config
    from greenroom.policies.common.task import load_task

    run = root / "runs" / task / "20260101-000000"
    run.mkdir(parents=True)
    save_config(resolve_config(load_task(task).config_cls, "smoke", []), run / "config.yaml")
    (run / "run.json").write_text(json.dumps({"task": task, "preset": "smoke"}))
    return run


def _case(task: str, kind: str, blob: bytes, text: str, value: Any, field: str, tmp: Path,
          model: Path) -> list[str]:
    """Build the inputs of one example under ``tmp``; return the CLI arguments."""
    if kind == "override":
        return ["evaluate" if task == "finray" else "train", *(["--onnx", model] if task == "finray" else [task]),
                "--preset", "smoke", text, SENTINEL[task]] if text.strip() else ["train", task, text]
    if kind in ("model", "contract", "contract_field"):
        target = tmp / "policy.onnx"
        shutil.copy(model, target)
        shutil.copy(contract_path_for(model), contract_path_for(target))
        if kind == "model":
            target.write_bytes(blob)
        elif kind == "contract":
            contract_path_for(target).write_bytes(blob)
        else:
            payload = json.loads(contract_path_for(target).read_text())
            spec_keys = sorted(payload["spec"])
            where, key = (payload["spec"], spec_keys[hash(field) % len(spec_keys)]) if field.startswith("s") \
                else (payload, sorted(payload)[hash(field) % len(payload)])
            if where.get(key) == value:
                value = [value, "changed"]
            where[key] = value
            contract_path_for(target).write_text(json.dumps(payload))
        return ["evaluate", "--onnx", target, "--task", task, "--preset", "smoke"]
    if kind == "launch":
        launch = tmp / "robot.launch.yaml"
        launch.write_bytes(blob)
        return ["launch", launch]
    run = _run_dir(tmp, task)
    if kind == "checkpoint":
        (run / "checkpoints").mkdir()
        (run / "checkpoints" / "ckpt-000000001.pt").write_bytes(blob)
        return [["export", run], ["evaluate", run], ["train", task, "--resume", run]][len(blob) % 3]
    (run / "config.yaml").write_bytes(blob)  # config: random bytes (and no checkpoint)
    return [["export", run], ["train", task, "--resume", run]][len(blob) % 2]


def _property(task: str, model: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    children = _children()
    monkeypatch.chdir(REPO)  # restored by monkeypatch after the test

    @SETTINGS
    @given(kind=st.sampled_from(KINDS), blob=st.binary(max_size=300), text=override_text, value=json_value,
           field=st.text(max_size=4))
    # found by this property: a one-byte config.yaml that parses as an empty mapping used to load as the
    # defaults, and ``train --resume`` then started a full training (it is refused now)
    @pinned(kind="config", blob=b">", text="", value=0, field="")
    def example(kind: str, blob: bytes, text: str, value: Any, field: str) -> None:
        home = os.getcwd()
        with tempfile.TemporaryDirectory(prefix="gr-fuzz-") as name:
            tmp = Path(name)
            monkeypatch.setenv("GREENROOM_RUNS", str(tmp / "runs"))
            os.chdir(tmp)
            try:
                args = _case(task, kind, blob, text, value, field, tmp, model)
                before = tree(tmp)
                code, err = cli(args, capsys)
            finally:
                os.chdir(home)
            assert_clean_error(code, err)
            assert tree(tmp) == before, (kind, tree(tmp) ^ before)
            assert _children() <= children, "a process was left running"

    example()


def _subprocess_examples(task: str, model: Path, tmp: Path) -> None:
    """The console script itself: one line, exit 2, no traceback, for a few fixed bad inputs."""
    rng = np.random.default_rng(sum(map(ord, task)))
    (tmp / "bad.onnx").write_bytes(rng.bytes(200))
    shutil.copy(contract_path_for(model), tmp / "bad.contract.json")
    run = _run_dir(tmp, task)
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "ckpt-000000001.pt").write_bytes(rng.bytes(300))
    before = tree(tmp)
    for args in (["evaluate", "--onnx", tmp / "bad.onnx"], ["export", run], ["train", task, "network=[16,"]):
        out = run_greenroom(args, cwd=tmp, env={"GREENROOM_RUNS": str(tmp / "runs")})
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert tree(tmp) == before


@pytest.fixture(scope="module")
def flight_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return smoke_flight_export(tmp_path_factory.mktemp("flight"))


def test_flight_bad_inputs_always_fail_cleanly(flight_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _property("flight", flight_model, capsys, monkeypatch)
    _subprocess_examples("flight", flight_model, tmp_path)


def test_pushgrasp_bad_inputs_always_fail_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _property("pushgrasp", MODELS["pushgrasp"], capsys, monkeypatch)
    _subprocess_examples("pushgrasp", MODELS["pushgrasp"], tmp_path)


def test_finray_bad_inputs_always_fail_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _property("finray", MODELS["finray"], capsys, monkeypatch)
    _subprocess_examples("finray", MODELS["finray"], tmp_path)
