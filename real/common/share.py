"""Files greenroom ships in ``share/greenroom`` (assets, launch files): installed or source tree.

``ros2 run``/``ros2 launch`` and a wheel install find them through the ament index
(``share/greenroom/...``); an editable install finds them in the source tree.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = "greenroom"


def share_file(relative: str) -> Path:
    """``share/greenroom/<relative>`` when installed, else ``<repo>/<relative>``; FileNotFoundError if neither."""
    candidates = []
    try:
        from ament_index_python.packages import get_package_share_directory

        os.environ.setdefault("AMENT_PREFIX_PATH", sys.prefix)
        candidates.append(Path(get_package_share_directory(PACKAGE)) / relative)
    except Exception:  # noqa: BLE001 - not installed as an ament package (editable install)
        pass
    candidates.append(Path(__file__).resolve().parents[2] / relative)
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(f"{relative} not found; looked in {', '.join(map(str, candidates))}")


def shipped_policy(task: str) -> Path:
    """The bundled exported policy of ``task`` (``flight``: policy.onnx, ``pushgrasp``: pushgrasp.onnx)."""
    name = {"flight": "policy.onnx", "pushgrasp": "pushgrasp.onnx", "finray": "policy.onnx"}[task]
    return share_file(f"assets/policies/{task}/{name}")
