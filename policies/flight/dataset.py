"""Labelled states on disk: one compressed ``.npz`` shard per collection round, in ``RUN/data/``.

A shard holds ``images`` (N, H, W, 3) uint8 RGB, ``targets`` (N, cells) float32 labels in
[0, 1] and ``mask`` (N, cells) bool (which cells were labelled: stage 1 labels every cell,
stage 2 the candidates it flew), and with ``aux_depth`` ``depth`` (N, S, S) float16, the encoded
coarse depth image of each state (:func:`.network.depth_targets`). Shards are written atomically
before the checkpoint that lists them, so after a crash the shards a checkpoint names are complete
and any other shard is an unfinished round (removed on resume and collected again).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..common.rundir import atomic_write_bytes


@dataclass
class Batch:
    """Training arrays: images (N, H, W, 3) uint8, targets (N, cells) float32, mask (N, cells) bool,
    depth (N, S, S) float16 auxiliary depth targets or None."""

    images: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    depth: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.images)

    def take(self, index: np.ndarray | slice) -> Batch:
        """The rows ``index`` of every array (depth too, when present)."""
        return Batch(*(None if getattr(self, f.name) is None else getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        """One batch of all rows; depth only when every batch has it."""
        depth = None if any(b.depth is None for b in batches) else np.concatenate([b.depth for b in batches])
        return Batch(*(np.concatenate([getattr(b, f) for b in batches]) for f in ("images", "targets", "mask")), depth)


class ShardStore:
    """The run's labelled-state shards (``folder/<name>.npz``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)  # made by the first write: a run that fails earlier is left unchanged

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.npz"

    def write(self, name: str, images: np.ndarray, targets: np.ndarray, mask: np.ndarray,
              depth: np.ndarray | None = None) -> Path:
        buffer = io.BytesIO()
        extra = {} if depth is None else {"depth": depth}
        np.savez_compressed(buffer, images=images, targets=targets, mask=mask, **extra)
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path(name), buffer.getvalue())
        return self.path(name)

    def read(self, name: str) -> Batch:
        path = self.path(name)
        try:
            with np.load(path) as data:
                return Batch(data["images"], data["targets"], data["mask"],
                             data["depth"] if "depth" in data.files else None)
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
        merged = Batch.concat(batches)
        return merged.take(slice(-capacity, None)) if len(merged) > capacity else merged

    def prune(self, keep: list[str]) -> list[Path]:
        """Delete shards not in ``keep`` (rounds a crash interrupted); returns what was removed."""
        removed = []
        for path in self.folder.glob("*.npz"):
            if path.stem not in keep:
                path.unlink()
                removed.append(path)
        return removed
