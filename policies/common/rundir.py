"""Run directories, atomic checkpoints and metric logs.

Layout of ``runs/<task>/<timestamp>/``::

    config.yaml          resolved config (preset + overrides)
    run.json             task, preset, overrides, greenroom version, start time
    checkpoints/         ckpt-<step>.pt written atomically (temp file + rename); latest.pt
    metrics.csv          one row per logged step (columns grow as new metrics appear)
    tb/                  TensorBoard events (same scalars as metrics.csv)
    eval/                evaluation JSON, markdown tables, plots, videos
    export/              ONNX model + contract JSON

Checkpoints are torch state dicts; torch is imported lazily so that the runtime half of
greenroom (ROS nodes) never loads it through this module. They are read with
``torch.load(weights_only=True)``: the restricted unpickler builds only tensors, containers,
plain Python values and numpy arrays (:data:`SAFE_NUMPY_GLOBALS`), so a tampered checkpoint
received with someone's run directory cannot run code; anything else is refused with
:class:`CheckpointError` naming the file.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RUNS_ROOT_ENV = "GREENROOM_RUNS"


class CheckpointError(ValueError):
    """A checkpoint cannot be used (unreadable, or it holds objects a safe load refuses); names the file."""


class RunStateError(ValueError):
    """A run directory's run.json or layout does not allow the requested action (message says why)."""


def safe_numpy_globals() -> list[Any]:
    """The numpy pieces ``torch.load(weights_only=True)`` must be allowed to build plain numpy arrays.

    Array reconstruction, scalars and the concrete dtype classes; no object dtype (that would let a
    file ask for arbitrary Python objects).
    """
    import numpy as np

    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore[no-redef]
    dtypes = [getattr(np.dtypes, n) for n in getattr(np.dtypes, "__all__", []) if n != "ObjectDType"]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtypes]


def safe_torch_load(source: Any, where: str, map_location: str = "cpu") -> Any:
    """``torch.load`` that never executes code from the file (``weights_only=True`` + numpy arrays).

    ``source``: a path or a binary file object; ``where``: how to name it in the error.
    Raises :class:`CheckpointError` for a corrupt file or one holding anything but tensors,
    containers, plain values and numpy arrays.
    """
    import pickle
    import warnings

    import torch

    try:
        with torch.serialization.safe_globals(safe_numpy_globals()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Detected pickle protocol 4": the error below says it all
            return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        refused = next((line for line in lines if "global" in line.lower() and "Weights only" not in line), None)
        if refused is not None:
            raise CheckpointError(f"{where} asks to build objects a safe load refuses ({refused[:200]}): it may "
                                  f"carry code; greenroom loads only tensors, numpy arrays and plain values, "
                                  f"nothing was run. Do not use this file") from None
        detail = next((line for line in lines if "error:" not in line and "Weights only" not in line
                       and "torch.load" not in line), "not a torch pickle")
        raise CheckpointError(f"{where} is corrupt or not a checkpoint ({detail[:200]})") from None
    except Exception as exc:  # torch raises RuntimeError/EOFError/zip errors for corrupt files
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "corrupt"
        raise CheckpointError(f"{where} is corrupt or not a checkpoint ({type(exc).__name__}: {first})") from None
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def runs_root() -> Path:
    """Root of all runs: ``$GREENROOM_RUNS`` or ``./runs``."""
    return Path(os.environ.get(RUNS_ROOT_ENV, "runs"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: Path, payload: Any) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


class Checkpoint(dict):
    """A loaded checkpoint: a dict whose missing entries raise CheckpointError naming the file."""

    def __init__(self, state: Mapping[str, Any], path: Path) -> None:
        super().__init__(state)
        self.path = Path(path)

    def __missing__(self, key: str) -> Any:
        raise CheckpointError(f"checkpoint {self.path} has no {key!r} entry (it holds {', '.join(map(str, self))}): "
                              f"it was not written by this task's trainer")


def load_weights(target: Any, state: Any, where: str) -> None:
    """``target.load_state_dict(state)`` with a CheckpointError naming ``where`` when they do not fit.

    The usual cause is a run whose config.yaml was edited after training (another grid or
    network size): the message says which tensor differs.
    """
    try:
        target.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = next((line for line in lines if line.startswith(("size mismatch", "Missing key", "Unexpected key"))),
                      lines[0] if lines else type(exc).__name__)
        raise CheckpointError(f"{where} does not fit the run's config.yaml ({detail[:300]}); was config.yaml "
                              f"changed after training? Restore the values the run was trained with") from None


KEPT_CHECKPOINTS = 3
"""Checkpoints a run keeps by default (older ones are removed as new ones are written)."""


class RunDir:
    """One training run's directory (see module docstring for the layout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- creation and lookup -------------------------------------------------------------
    @classmethod
    def create(cls, task: str, root: Path | None = None) -> RunDir:
        base = Path(root) if root is not None else runs_root()
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = base / task / stamp
        suffix = 1
        while path.exists():
            path = base / task / f"{stamp}-{suffix}"
            suffix += 1
        path.mkdir(parents=True)
        return cls(path)

    @classmethod
    def open(cls, path: Path) -> RunDir:
        """An existing run; a clear error if ``path`` is not one."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise RunStateError(f"{path} is a file, not a run directory (RUN is a folder like runs/TASK/STAMP)")
        if not path.is_dir():
            raise FileNotFoundError(f"run directory {path} does not exist")
        if not (path / "config.yaml").is_file():
            raise FileNotFoundError(f"{path} is not a greenroom run directory (no config.yaml)")
        return cls(path)

    # -- standard locations --------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / "config.yaml"

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def eval_dir(self) -> Path:
        return self._sub("eval")

    @property
    def export_dir(self) -> Path:
        return self._sub("export")

    def _sub(self, name: str) -> Path:
        sub = self.path / name
        sub.mkdir(parents=True, exist_ok=True)
        return sub

    def read_meta(self) -> dict[str, Any]:
        """run.json as a dict ({} when absent); RunStateError naming the file when it is not a JSON object."""
        meta = self.path / "run.json"
        if not meta.is_file():
            return {}
        try:
            payload = json.loads(meta.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RunStateError(f"{meta} is not valid JSON ({exc}); fix or delete it") from None
        if not isinstance(payload, dict):
            raise RunStateError(f"{meta} must hold a JSON object, got {type(payload).__name__}")
        return payload

    def write_meta(self, **fields: Any) -> None:
        atomic_write_json(self.path / "run.json", {**self.read_meta(), **fields})

    # -- checkpoints ---------------------------------------------------------------------
    def save_checkpoint(self, state: Mapping[str, Any], step: int, keep: int = KEPT_CHECKPOINTS) -> Path:
        """Atomically write ``state`` (anything ``torch.save`` takes) as checkpoint ``step``.

        ``latest.pt`` always names a complete checkpoint; older ones beyond ``keep`` are removed.
        """
        import io

        import torch

        buffer = io.BytesIO()
        torch.save(dict(state), buffer)
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        target = self.checkpoint_dir / f"ckpt-{step:09d}.pt"
        atomic_write_bytes(target, buffer.getvalue())
        atomic_write_text(self.checkpoint_dir / "latest", target.name + "\n")
        for old in sorted(self.checkpoint_dir.glob("ckpt-*.pt"))[:-keep]:
            old.unlink(missing_ok=True)
        return target

    def latest_checkpoint(self) -> Path | None:
        pointer = self.checkpoint_dir / "latest"
        if pointer.is_file():
            candidate = self.checkpoint_dir / pointer.read_text().strip()
            if candidate.is_file():
                return candidate
        found = sorted(self.checkpoint_dir.glob("ckpt-*.pt"))
        return found[-1] if found else None

    def kept_checkpoints(self) -> list[Path]:
        """The kept checkpoints, oldest first, up to and including the latest (older ones are pruned)."""
        latest = self.latest_checkpoint()
        if latest is None:
            return []
        return [p for p in sorted(self.checkpoint_dir.glob("ckpt-*.pt")) if p.name <= latest.name]

    def load_checkpoint(self, path: Path | None = None) -> dict[str, Any] | None:
        """Load ``path`` or the latest checkpoint (None if the run has none), without running code.

        Raises :class:`CheckpointError` naming the file when it is corrupt, refused by the safe
        load (see :func:`safe_torch_load`) or not a checkpoint dict.
        """
        path = path or self.latest_checkpoint()
        if path is None:
            return None
        try:
            state = safe_torch_load(path, f"checkpoint {path}")
        except CheckpointError as exc:
            older = [p for p in sorted(self.checkpoint_dir.glob("ckpt-*.pt")) if p.name < Path(path).name]
            if older and Path(path).parent == self.checkpoint_dir:
                raise CheckpointError(f"{exc}; delete it to resume from the previous one ({older[-1].name})") from None
            raise
        if not isinstance(state, dict):
            raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, not a greenroom checkpoint dict")
        return Checkpoint(state, path=path)


class MetricsLogger:
    """Scalars to ``metrics.csv`` and TensorBoard at once.

    Names follow one scheme (``losses/value``, ``charts/mean_distance``, ``perf/sps``). The CSV
    is appended to (so a resumed run continues it); when a new metric name appears, the file is
    rewritten with the wider header.
    """

    def __init__(self, run: RunDir, tensorboard: bool = True) -> None:
        self.csv_path = run.path / "metrics.csv"
        self._columns: list[str] = []
        if self.csv_path.is_file():
            with self.csv_path.open() as handle:
                header = next(csv.reader(handle), [])
            self._columns = header
        self._writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._writer = SummaryWriter(log_dir=str(run.path / "tb"))
            except ImportError:  # tensorboard is optional for logging
                self._writer = None

    def log(self, step: int, scalars: Mapping[str, float]) -> None:
        row = {"step": step, **{k: float(v) for k, v in scalars.items()}}
        new = [k for k in row if k not in self._columns]
        if new:
            self._rewrite_with(self._columns + new if self._columns else list(row))
        with self.csv_path.open("a", newline="") as handle:
            csv.DictWriter(handle, fieldnames=self._columns).writerow(row)
        if self._writer is not None:
            for key, value in scalars.items():
                self._writer.add_scalar(key, float(value), step)

    def _rewrite_with(self, columns: list[str]) -> None:
        rows: list[dict[str, str]] = []
        if self.csv_path.is_file():
            with self.csv_path.open() as handle:
                rows = list(csv.DictReader(handle))
        self._columns = columns
        text_rows = [",".join(columns)] + [
            ",".join(r.get(c, "") or "" for c in columns) for r in rows
        ]
        atomic_write_text(self.csv_path, "\n".join(text_rows) + "\n")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()


def read_metrics(path: Path) -> list[dict[str, float]]:
    """Rows of a metrics.csv as floats (empty cells skipped)."""
    with Path(path).open() as handle:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(handle)]
