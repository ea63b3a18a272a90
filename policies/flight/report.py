"""Evaluation report files: markdown table, bar chart, trajectories, learning curve, video.

All figures are drawn with matplotlib (Agg backend, no display) and the video is written with
imageio (ffmpeg, H.264 mp4): the policy's camera (upscaled 4x) beside its value grid, the chosen
cell outlined, at the control rate.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..common.rundir import RunDir, atomic_write_text, read_metrics

METRICS = (("mean_distance_m", "mean dist (m)"), ("median_distance_m", "median dist (m)"),
           ("success_rate", "success"), ("collisions_per_100m", "collisions/100 m"))


def markdown_table(summary: dict[str, Any]) -> str:
    """One row per method and world set."""
    lines = [f"# Flight evaluation ({summary['policy']})", "",
             f"Held-out seeds {summary['seeds'][0]}..{summary['seeds'][-1]} ({len(summary['seeds'])} per set), "
             f"distance cap {summary['config']['max_distance_m']:.0f} m.", "",
             "| method | world set | episodes | " + " | ".join(label for _, label in METRICS) + " |",
             "|---|---|---|" + "---|" * len(METRICS)]
    for method, sets in summary["metrics"].items():
        for world_set, m in sets.items():
            cells = [f"{m[key]:.2f}" if key != "success_rate" else f"{100 * m[key]:.0f} %" for key, _ in METRICS]
            lines.append(f"| {method} | {world_set} | {m['episodes']} | " + " | ".join(cells) + " |")
    for name, note in summary.get("notes", {}).items():
        lines.append(f"\n{name}: {note}")
    return "\n".join(lines) + "\n"


def _bars(path: Path, summary: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(summary["metrics"])
    sets = summary["world_sets"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (key, label) in zip(axes, (METRICS[0], METRICS[2], METRICS[3])):
        width = 0.8 / len(sets)
        for j, world_set in enumerate(sets):
            values = [summary["metrics"][m][world_set][key] for m in methods]
            ax.bar(np.arange(len(methods)) + j * width, values, width, label=world_set)
        ax.set_xticks(np.arange(len(methods)) + 0.4 - width / 2, methods, rotation=20)
        ax.set_title(label)
        if key == "success_rate":
            ax.set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _trajectories(path: Path, maps: dict[str, np.ndarray], seed: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 3.6), squeeze=False)
    for ax, (method, image) in zip(axes[0], maps.items()):
        ax.imshow(image)
        ax.set_title(method)
        ax.axis("off")
    fig.suptitle(f"top-down trajectories, held-out world seed {seed} (green = start)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def learning_curve(path: Path, metrics_csv: Path, ppo_curve: list[dict[str, float]] | None = None) -> bool:
    """Plot training loss and the behaviour policy's flight distance from a run's metrics.csv, and
    beside it the PPO baseline's (mean distance of its training episodes per minute of wall clock)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not metrics_csv.is_file():
        return False
    rows = read_metrics(metrics_csv)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    loss = [(r["time/elapsed_s"], r["losses/value"]) for r in rows if "losses/value" in r]
    greedy = [(r["time/elapsed_s"], r["charts/greedy_distance_m"]) for r in rows if "charts/greedy_distance_m" in r]
    behaviour = [(r["time/elapsed_s"], r["charts/rollout_distance_m"]) for r in rows if "charts/rollout_distance_m" in r]
    if loss:
        ax1.plot(*zip(*loss), marker="o")
    ax1.set(xlabel="training time (s)", ylabel="value loss (masked MSE)", title="regression loss")
    if greedy:
        ax2.plot(*zip(*greedy), marker="o", color="tab:green", label="greedy policy, fixed training worlds")
    if len(behaviour) >= 2:   # finished epsilon-greedy episodes are rare within a sampling round
        ax2.plot(*zip(*behaviour), marker="x", linestyle=":", color="tab:gray", label="epsilon-greedy while sampling")
    if ppo_curve:
        ax2.plot([b["t_end_s"] for b in ppo_curve], [b["mean_distance_m"] for b in ppo_curve], marker="s",
                 linestyle="--", color="tab:orange", label="PPO baseline, its training episodes")
    if greedy or len(behaviour) >= 2 or ppo_curve:
        ax2.legend(fontsize=8)
    ax2.set(xlabel="training time (s)", ylabel="mean episode distance (m)", title="learning curve")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _value_panel(values: np.ndarray, height: int) -> np.ndarray:
    """(rows, cols) values in [0, 1] -> RGB panel ``height`` px tall, best cell outlined."""
    from matplotlib import colormaps

    rows, cols = values.shape
    cell = max(height // rows, 1)
    rgb = (colormaps["viridis"](np.clip(values, 0, 1))[..., :3] * 255).astype(np.uint8)
    panel = np.kron(rgb, np.ones((cell, cell, 1), np.uint8))
    r, c = np.unravel_index(int(np.argmax(values)), values.shape)
    panel[r * cell:(r + 1) * cell, [c * cell, (c + 1) * cell - 1]] = 255
    panel[[r * cell, (r + 1) * cell - 1], c * cell:(c + 1) * cell] = 255
    out = np.zeros((height, panel.shape[1], 3), np.uint8)
    out[:panel.shape[0]] = panel[:height]
    return out


def write_video(path: Path, frames: list[np.ndarray], values: list[np.ndarray], fps: float) -> bool:
    import imageio.v2 as imageio

    if not frames:
        return False
    scale = max(1, 256 // frames[0].shape[0])
    composed = []
    for i, frame in enumerate(frames):
        big = np.kron(frame, np.ones((scale, scale, 1), np.uint8))
        if i < len(values):
            big = np.concatenate([big, np.zeros((big.shape[0], 8, 3), np.uint8), _value_panel(values[i], big.shape[0])], 1)
        pad_w = (-big.shape[1]) % 16
        composed.append(np.pad(big, ((0, (-big.shape[0]) % 16), (0, pad_w), (0, 0))))
    width = max(f.shape[1] for f in composed)
    composed = [np.pad(f, ((0, 0), (0, width - f.shape[1]), (0, 0))) for f in composed]
    imageio.mimwrite(path, composed, fps=fps, macro_block_size=16)
    return True


def write_report(out: Path, summary: dict[str, Any], episodes: list[Any], maps: dict[str, np.ndarray],
                 frames: list[np.ndarray], values: list[np.ndarray], run: RunDir | None, config: Any) -> dict[str, Path]:
    files: dict[str, Path] = {}
    atomic_write_text(out / "eval.md", markdown_table(summary))
    files["table"] = out / "eval.md"
    _bars(out / "bars.png", summary)
    files["bars"] = out / "bars.png"
    if maps:
        _trajectories(out / "trajectories.png", maps, summary["seeds"][0])
        files["trajectories"] = out / "trajectories.png"
    ppo = summary.get("notes", {}).get("ppo")
    ppo_curve = ppo.get("learning_curve") if isinstance(ppo, dict) else None
    if run is not None and learning_curve(out / "learning_curve.png", run.path / "metrics.csv", ppo_curve):
        files["learning_curve"] = out / "learning_curve.png"
    if write_video(out / "policy.mp4", frames, values, config.env.control_hz):
        files["video"] = out / "policy.mp4"
    files["json"] = out / "eval.json"
    return files
