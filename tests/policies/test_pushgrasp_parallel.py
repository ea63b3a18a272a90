"""Parallel VPG data collection: simulator actors feed one learner (local processes, and Ray on 2 nodes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from greenroom.policies.common.config import resolve_config
from greenroom.policies.common.rundir import RunDir, read_metrics
from greenroom.policies.pushgrasp.config import PushGraspTrainConfig

pytestmark = pytest.mark.slow


def _check_run(run: RunDir, iterations: int, actors: int) -> dict:
    state = run.load_checkpoint()
    assert state["iteration"] == iterations and len(state["log"]) == iterations
    replay = state["replay"]
    assert len(replay["action"]) == iterations
    # VPG labels: reward + gamma * future >= the reward the outcome records (push 0.5, grasp 1)
    assert np.all(replay["label"] >= replay["outcome"] - 1e-6)
    assert set(np.unique(replay["outcome"])) <= {0.0, 0.5, 1.0}
    assert all(0 <= e for _, _, _, e in state["log"])  # episode ids: actor episode * actors + actor
    rows = read_metrics(run.path / "metrics.csv")
    assert len(rows) == iterations and all(r["charts/policy_lag"] >= 0 for r in rows)
    return state


def test_local_actors_feed_the_learner(runs_dir: Path) -> None:
    from greenroom.policies.pushgrasp.trainer import train

    config = resolve_config(PushGraspTrainConfig, "smoke", ["iterations=6", "log_every=1", "parallel.actors=2"])
    run = RunDir.create("pushgrasp", root=runs_dir)
    summary = train(config, run, progress=False)
    assert summary["actors"] == 2 and summary["backend"] == "local" and sum(summary["transitions_per_actor"]) == 6
    _check_run(run, 6, 2)


def test_local_actors_resume_a_killed_run_with_new_episode_ids(runs_dir: Path) -> None:
    """The parallel loop restores its checkpoint: the transition log continues, fresh actor seeds,
    and the restarted actors' episodes get ids above every logged one (no merged episodes)."""
    from greenroom.policies.pushgrasp.trainer import train

    overrides = ["log_every=1", "parallel.actors=2", "checkpoint_every=3"]
    run = RunDir.create("pushgrasp", root=runs_dir)
    train(resolve_config(PushGraspTrainConfig, "smoke", ["iterations=3", *overrides]), run, progress=False)
    before = run.load_checkpoint()
    assert before["restarts"] == 0 and before["iteration"] == 3
    train(resolve_config(PushGraspTrainConfig, "smoke", ["iterations=6", *overrides]), run, resume=True, progress=False)
    state = _check_run(run, 6, 2)
    assert state["restarts"] == 1 and state["log"][:3] == before["log"]
    assert [row[0] for row in state["log"]] == list(range(6))
    assert min(row[3] for row in state["log"][3:]) > max(row[3] for row in before["log"])
    assert state["episode"] >= before["episode"]


def test_parallel_config_errors_name_the_valid_values() -> None:
    with pytest.raises(ValueError, match="parallel.backend must be one of local, ray"):
        resolve_config(PushGraspTrainConfig, "smoke", ["parallel.backend=mpi"])
    with pytest.raises(ValueError, match="target_update_every"):
        resolve_config(PushGraspTrainConfig, "smoke", ["parallel.actors=2", "target_update_every=10"])


# A real two-node Ray cluster on loopback: a head and a second node (separate raylet processes),
# both 127.0.0.1, no dashboard. `ray start` cannot do this on Ray 2.60: its CLI turns 127.0.0.1
# into the machine's routable address (services.resolve_ip_for_localhost) and refuses a second
# node when that is switched off, so the nodes are started with ray.cluster_utils.Cluster (Ray's
# own multi-node-on-one-machine harness) with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, which keeps
# every address on loopback.
RAY_SCRIPT = r"""
import json, sys
import ray
from ray.cluster_utils import Cluster
from greenroom.policies.common.config import resolve_config
from greenroom.policies.common.rundir import RunDir
from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
from greenroom.policies.pushgrasp.trainer import train

cluster = Cluster(initialize_head=True, head_node_args={"node_ip_address": "127.0.0.1", "include_dashboard": False,
                                                        "num_cpus": 1})
cluster.add_node(node_ip_address="127.0.0.1", num_cpus=1)
try:
    ray.init(address=cluster.address)
    nodes = [n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]]
    config = resolve_config(PushGraspTrainConfig, "smoke", ["iterations=6", "log_every=1", "parallel.actors=2",
                                                            "parallel.backend=ray", f"parallel.ray_address={cluster.address}"])
    run = RunDir.create("pushgrasp", root=sys.argv[1])
    summary = train(config, run, progress=False)
    print("RESULT " + json.dumps({"summary": summary, "node_addresses": nodes, "run": str(run.path)}))
finally:
    ray.shutdown()
    cluster.shutdown()
"""


@pytest.mark.ray
def test_ray_actors_on_a_two_node_loopback_cluster(runs_dir: Path) -> None:
    pytest.importorskip("ray")
    env = dict(os.environ, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0")
    out = subprocess.run([sys.executable, "-c", RAY_SCRIPT, str(runs_dir)], env=env, capture_output=True, text=True,
                         timeout=480)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert out.returncode == 0 and lines, out.stdout[-3000:] + out.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])
    assert result["node_addresses"] == ["127.0.0.1", "127.0.0.1"]
    summary = result["summary"]
    assert summary["backend"] == "ray" and len(set(summary["actor_nodes"])) == 2, summary  # one actor per node
    assert set(summary["transition_nodes"]) <= set(summary["actor_nodes"]) and summary["transition_nodes"], summary
    _check_run(RunDir(Path(result["run"])), 6, 2)
