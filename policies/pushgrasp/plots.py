"""Plots: learning curve (VPG Fig. 4 style) and Q-map visualizations (matplotlib, Agg)."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def after_push(primitives: np.ndarray, episodes: np.ndarray | None) -> np.ndarray:
    """Per transition: True when the previous action of the same episode was a push (VPG's push-then-grasp).

    ``episodes`` keeps interleaved actors apart (parallel collection logs unique episode ids per actor).
    """
    episodes = np.zeros(len(primitives), int) if episodes is None else np.asarray(episodes)
    last: dict[int, int] = {}
    out = np.zeros(len(primitives), bool)
    for i, (p, e) in enumerate(zip(primitives, episodes)):
        out[i] = last.get(int(e)) == 0
        last[int(e)] = int(p)
    return out


def grasp_success_curve(primitives: np.ndarray, outcomes: np.ndarray, window: int = 200,
                        only: np.ndarray | None = None) -> np.ndarray:
    """Per iteration: success rate of the last ``window`` grasps (VPG plot.py: early values weighted by i/window).

    ``only``: count just the grasps where this mask is True (e.g. :func:`after_push`).
    """
    curve = np.zeros(len(primitives))
    grasps: list[float] = []
    for i, (p, o) in enumerate(zip(primitives, outcomes)):
        if p == 1 and (only is None or only[i]):
            grasps.append(float(o > 0))
        recent = grasps[-window:]
        curve[i] = (np.mean(recent) * min(len(recent), window) / window) if recent else 0.0
    return curve


def read_transitions(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """iteration, primitive, outcome and episode columns of a run's transitions.csv."""
    with Path(path).open() as handle:
        rows = list(csv.DictReader(handle))
    it = np.array([int(r["iteration"]) for r in rows])
    return (it, np.array([int(r["primitive"]) for r in rows]), np.array([float(r["outcome"]) for r in rows]),
            np.array([int(r["episode"]) for r in rows]))


def learning_curve_plot(transitions: Path, out: Path, window: int = 200) -> Path:
    """VPG Fig. 4: grasp success over the last ``window`` grasps (solid), push-then-grasp (dotted)."""
    iterations, primitives, outcomes, episodes = read_transitions(transitions)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(iterations, 100 * grasp_success_curve(primitives, outcomes, window), label="grasp success (last 200 grasps)")
    ax.plot(iterations, 100 * grasp_success_curve(primitives, outcomes, window, after_push(primitives, episodes)), ":",
            label="push-then-grasp success (last 200)")
    pushes = np.cumsum(primitives == 0) / np.maximum(1, np.arange(1, len(primitives) + 1))
    ax.plot(iterations, 100 * pushes, "--", label="share of pushes so far")
    ax.set_xlabel("training step (actions)")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def curve_checkpoints(transitions: Path, every: int = 1000, window: int = 200) -> dict[str, dict[int, float]]:
    """Fig. 4's curves sampled every ``every`` iterations (%): grasp success over the last ``window``
    grasps, push-then-grasp success over the last ``window`` such grasps, and the share of pushes
    among the last ``every`` actions."""
    return checkpoints_of(read_transitions(transitions), every, window)


def checkpoints_of(log: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], every: int = 1000,
                   window: int = 200) -> dict[str, dict[int, float]]:
    """:func:`curve_checkpoints` of an already read log (:func:`read_transitions`' columns)."""
    iterations, primitives, outcomes, episodes = log
    grasp = grasp_success_curve(primitives, outcomes, window)
    after = grasp_success_curve(primitives, outcomes, window, after_push(primitives, episodes))
    out: dict[str, dict[int, float]] = {"grasp_success": {}, "push_then_grasp_success": {}, "push_share": {}}
    for mark in range(every, int(iterations.max(initial=0)) + 2, every):   # after `mark` actions (0-based)
        i = int(np.searchsorted(iterations, mark, side="left")) - 1
        if i < 0:
            continue
        recent = primitives[max(0, i + 1 - every):i + 1]
        out["grasp_success"][mark] = round(100 * float(grasp[i]), 1)
        out["push_then_grasp_success"][mark] = round(100 * float(after[i]), 1)
        out["push_share"][mark] = round(100 * float(np.mean(recent == 0)), 1)
    return out


def variants_curve_plot(transitions: dict[str, Path], out: Path, window: int = 200) -> Path:
    """VPG's Fig. 4 over variants: grasp success over the last ``window`` grasps per variant (solid)
    and its push-then-grasp success (dotted, variants that push), against training iterations."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, (variant, path) in enumerate(transitions.items()):
        iterations, primitives, outcomes, episodes = read_transitions(path)
        color = f"C{k}"
        ax.plot(iterations, 100 * grasp_success_curve(primitives, outcomes, window), color=color, label=variant)
        if (primitives == 0).any():
            ax.plot(iterations, 100 * grasp_success_curve(primitives, outcomes, window,
                                                          after_push(primitives, episodes)),
                    ":", color=color, label=f"{variant} push-then-grasp")
    ax.set_xlabel("training step (actions)")
    ax.set_ylabel(f"grasp success over the last {window} grasps (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def qmap_figure(obs: dict[str, np.ndarray], maps: tuple[np.ndarray, np.ndarray], out: Path) -> Path:
    """Colour/height heightmaps + the best push and grasp rotation's Q map, best pixel marked."""
    plt = _pyplot()
    push, grasp = maps
    k = push.shape[0]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    axes[0].imshow(obs["color"])
    axes[0].set_title("colour heightmap")
    im = axes[1].imshow(obs["height"], cmap="viridis")
    axes[1].set_title("height (m)")
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    for ax, name, m in ((axes[2], "push", push), (axes[3], "grasp", grasp)):
        r, y, x = np.unravel_index(int(np.argmax(m)), m.shape)
        im = ax.imshow(m[r], cmap="jet")
        ax.imshow(obs["color"], alpha=0.35)
        angle = 2 * np.pi * r / k
        ax.arrow(x, y, 8 * np.cos(angle), 8 * np.sin(angle), color="white", head_width=2)
        ax.set_title(f"{name} Q, rotation {r} ({np.degrees(angle):.0f} deg), max {m.max():.2f}")
        fig.colorbar(im, ax=ax, fraction=0.046)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out
