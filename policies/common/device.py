"""Automatic device choice: CUDA when available, else CPU (overridable with ``device=...``)."""
from __future__ import annotations


def pick_device(requested: str = "auto") -> str:
    """Return ``"cuda"`` or ``"cpu"``; ``requested`` may force one (an unavailable CUDA is an error)."""
    import torch

    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be one of auto, cpu, cuda; got {requested!r}")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("device=cuda was requested but torch sees no CUDA device; use device=auto or device=cpu")
    return requested
