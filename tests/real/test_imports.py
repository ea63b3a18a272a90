"""Robot nodes load no training code, torch or simulator (issue 12, part 7).

Each module of ``greenroom.real`` except the sim bridges is imported in a fresh interpreter, which
then must not hold torch, MuJoCo, pybullet, Gymnasium's envs, greenroom's training packages, or
any ``greenroom.sim`` module beyond the pure-numpy ones the runtime is built on (rotations,
the push-grasp heightmap/geometry/config and the flight direction grid: sim/ is the lowest layer,
so what both the simulators and the robot need lives there; none of them imports a simulator,
which the second test checks on their own). A static check also forbids ``import torch`` and
training imports anywhere in real/ outside the sim bridges, lazy ones included.
"""
from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import greenroom.real

SIM_BRIDGES = {"greenroom.real.flight.sim_bridge", "greenroom.real.arm.sim_bridge"}
FORBIDDEN_ROOTS = ("torch", "mujoco", "pybullet", "stable_baselines3", "ray")
TRAINING_PACKAGES = ("greenroom.policies.flight", "greenroom.policies.pushgrasp", "greenroom.policies.finray")
PURE_SIM_MODULES = {  # numpy/scipy only; what policies.runtime and the nodes build on
    "greenroom.sim", "greenroom.sim.core", "greenroom.sim.core.headless", "greenroom.sim.core.rotations",
    "greenroom.sim.core.randomization", "greenroom.sim.flight", "greenroom.sim.flight.grid",
    "greenroom.sim.flight.config", "greenroom.sim.flight.ranges", "greenroom.sim.pushgrasp",
    "greenroom.sim.pushgrasp.heightmap", "greenroom.sim.pushgrasp.geometry", "greenroom.sim.pushgrasp.config",
}
REAL_DIR = Path(greenroom.real.__file__).parent


def _real_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(greenroom.real.__path__, "greenroom.real.")]
    return sorted(n for n in names if n not in SIM_BRIDGES)


def _loaded_after_import(module: str) -> list[str]:
    code = f"import importlib, json, sys; importlib.import_module({module!r}); print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"import {module} failed:\n{out.stderr[-3000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def _offending(loaded: list[str]) -> list[str]:
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS]
    bad += [m for m in loaded if m.startswith("gymnasium.envs.") and "registration" not in m]
    bad += [m for m in loaded if m.startswith(TRAINING_PACKAGES)]
    bad += [m for m in loaded if m.startswith("greenroom.sim") and m not in PURE_SIM_MODULES]
    return bad


def test_real_modules_load_no_training_code_torch_or_simulator() -> None:
    """One fresh interpreter per module (two at a time)."""
    modules = _real_modules()
    assert "greenroom.real.flight.policy_node" in modules and "greenroom.real.recorder" in modules
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = dict(zip(modules, pool.map(_loaded_after_import, modules)))
    bad = {module: _offending(names) for module, names in loaded.items() if _offending(names)}
    assert not bad, f"modules of greenroom.real loaded training code, torch or a simulator: {bad}"


def test_allowed_sim_modules_load_no_simulator() -> None:
    code = ("import importlib, json, sys\n"
            f"for m in {sorted(PURE_SIM_MODULES)!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS]
    assert not bad, f"the pure sim modules loaded {bad}"


def test_no_lazy_training_or_torch_imports_in_real() -> None:
    """Also imports inside functions: a bench or SIL helper must not need training code."""
    problems = []
    for path in sorted(REAL_DIR.rglob("*.py")):
        module = "greenroom.real." + ".".join(path.relative_to(REAL_DIR).with_suffix("").parts)
        if module in SIM_BRIDGES:  # they stand in for the robot: simulators are their job
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                target = name.lstrip(".")
                training = any(f"policies.{pkg}" in name for pkg in ("flight", "pushgrasp", "finray"))
                simulator = ("sim." in name or name.endswith(".sim")) and "sim.core.rotations" not in name \
                    and "sim.pushgrasp.config" not in name  # the heuristic exporter reads its sizes
                if target.split(".")[0] in FORBIDDEN_ROOTS or training or simulator:
                    problems.append(f"{path.relative_to(REAL_DIR)}:{node.lineno}: {name}")
    assert not problems, "real/ imports training code, torch or sim/: " + "; ".join(problems)
