"""Labelled states on disk: one compressed ``.npz`` shard per collection round, in ``RUN/data/``.

A shard holds ``images`` (N, H, W, 3) uint8 RGB, ``targets`` (N, cells) float32 labels in
[0, 1] and ``mask`` (N, cells) bool (which cells were labelled: stage 1 labels every cell,
stage 2 the candidates it flew). Shards are written atomically before the checkpoint that
lists them, so after a crash the shards a checkpoint names are complete and any other shard is
an unfinished round (removed on resume and collected again).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.rundir import atomic_write_bytes


@dataclass
class Batch:
    """Training arrays: images (N, H, W, 3) uint8, targets (N, cells) float32, mask (N, cells) bool."""

    images: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


class ShardStore:
    """The run's labelled-state shards (``folder/<name>.npz``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)  # made by the first write: a run that fails earlier is left unchanged

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.npz"

    def write(self, name: str, images: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> Path:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=images, targets=targets, mask=mask)
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path(name), buffer.getvalue())
        return self.path(name)

    def read(self, name: str) -> Batch:
        path = self.path(name)
        try:
            with np.load(path) as data:
                return Batch(data["images"], data["targets"], data["mask"])
        except (OSError, KeyError, ValueError) as exc:
            raise RuntimeError(f"data shard {path} is unreadable ({exc}); delete the run's latest checkpoint "
                               f"to collect that round again") from exc

    def load(self, names: list[str], capacity: int) -> Batch:
        """The newest ``capacity`` states of the named shards (names in collection order)."""
        batches: list[Batch] = []
        total = 0
        for name in reversed(names):
            batches.append(self.read(name))
            total += len(batches[-1])
            if total >= capacity:
                break
        batches.reverse()
        merged = Batch(*(np.concatenate([getattr(b, f) for b in batches]) for f in ("images", "targets", "mask")))
        if len(merged) > capacity:
            merged = Batch(merged.images[-capacity:], merged.targets[-capacity:], merged.mask[-capacity:])
        return merged

    def prune(self, keep: list[str]) -> list[Path]:
        """Delete shards not in ``keep`` (rounds a crash interrupted); returns what was removed."""
        removed = []
        for path in self.folder.glob("*.npz"):
            if path.stem not in keep:
                path.unlink()
                removed.append(path)
        return removed
