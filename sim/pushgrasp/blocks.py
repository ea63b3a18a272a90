"""The project's toy-block set, generated procedurally as convex parts (no pybullet import).

Every block is a union of convex prisms, so pybullet can simulate concave shapes (arch, bridge)
exactly as compound collision shapes. Each part is written as a small Wavefront OBJ (with
planar texture coordinates, so table/block textures apply) into a content-addressed cache
folder; pybullet loads them by file name.

Block frame: origin at the centre of the bounding box, metres; a block rests on its z-min face.
All blocks are 2-6 cm in every dimension (checked by the tests).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Polygon = list[tuple[float, float]]


@dataclass(frozen=True)
class BlockShape:
    """A named block: convex parts, each an (n, 3) vertex array in the block frame (metres)."""

    name: str
    parts: tuple[np.ndarray, ...]

    @property
    def extent(self) -> np.ndarray:
        allv = np.concatenate(self.parts)
        return allv.max(axis=0) - allv.min(axis=0)


def _prism_xz(profile: Polygon, depth: float) -> np.ndarray:
    """Convex profile in the x-z plane extruded along y over [-depth/2, depth/2]."""
    pts = np.array(profile, dtype=np.float64)
    front = np.column_stack([pts[:, 0], np.full(len(pts), -depth / 2), pts[:, 1]])
    back = front.copy()
    back[:, 1] = depth / 2
    return np.concatenate([front, back])


def _prism_xy(profile: Polygon, height: float) -> np.ndarray:
    """Convex profile in the x-y plane extruded along z over [-height/2, height/2]."""
    pts = np.array(profile, dtype=np.float64)
    low = np.column_stack([pts, np.full(len(pts), -height / 2)])
    high = low.copy()
    high[:, 2] = height / 2
    return np.concatenate([low, high])


def _box(sx: float, sy: float, sz: float, center: tuple[float, float, float] = (0, 0, 0)) -> np.ndarray:
    rect = [(-sx / 2, -sy / 2), (sx / 2, -sy / 2), (sx / 2, sy / 2), (-sx / 2, sy / 2)]
    return _prism_xy(rect, sz) + np.array(center)


def _circle(radius: float, start: float, stop: float, n: int) -> Polygon:
    return [(radius * np.cos(a), radius * np.sin(a)) for a in np.linspace(start, stop, n)]


def _strips(width: float, depth: float, height: float, bottom, n: int) -> tuple[np.ndarray, ...]:
    """A block whose x-z profile lies between bottom(x) and ``height``, cut into n convex strips."""
    xs = np.linspace(-width / 2, width / 2, n + 1)
    parts = []
    for x0, x1 in zip(xs[:-1], xs[1:]):
        profile = [(x0, bottom(x0)), (x1, bottom(x1)), (x1, height), (x0, height)]
        parts.append(_prism_xz(profile, depth))
    return tuple(parts)


def _centered(parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    allv = np.concatenate(parts)
    center = 0.5 * (allv.max(axis=0) + allv.min(axis=0))
    return tuple(p - center for p in parts)


def make_block_set() -> list[BlockShape]:
    """The nine project blocks (sizes in metres)."""
    r = 0.02
    arch_cut = 0.015

    def bridge_bottom(x: float) -> float:  # semicircular cut-out of radius 0.018 under a 0.06 x 0.03 bar
        return float(np.sqrt(max(0.018 ** 2 - x * x, 0.0)))

    shapes = {
        "cube": (_box(0.04, 0.04, 0.04),),
        "cuboid": (_box(0.06, 0.03, 0.03),),
        "cylinder": (_prism_xy(_circle(r, 0, 2 * np.pi, 24)[:-1], 0.04),),
        "half_cylinder": (_prism_xz(_circle(0.025, 0, np.pi, 13), 0.03),),
        "triangular_prism": (_prism_xz([(-0.025, 0.0), (0.025, 0.0), (0.0, 0.035)], 0.03),),
        "arch": (_box(0.015, 0.03, 0.03, (-0.0225, 0, 0.015)), _box(0.015, 0.03, 0.03, (0.0225, 0, 0.015)),
                 _box(0.06, 0.03, arch_cut, (0, 0, 0.03 + arch_cut / 2))),
        "semicircle": _strips(0.06, 0.03, 0.03, bridge_bottom, 8),
        "l_block": (_box(0.05, 0.025, 0.025, (0, 0, 0.0125)), _box(0.025, 0.025, 0.025, (-0.0125, 0, 0.0375))),
        "hexagon": (_prism_xy(_circle(0.025, 0, 2 * np.pi, 7)[:-1], 0.025),),
    }
    return [BlockShape(name, _centered(parts)) for name, parts in shapes.items()]


BLOCK_NAMES = tuple(shape.name for shape in make_block_set())


def _obj_text(vertices: np.ndarray) -> str:
    """OBJ of the convex hull of a prism's vertices (first half = one cap, second half = the other).

    Faces: both caps (fan) + quads between them; pybullet takes the convex hull for collision
    anyway, the faces matter for rendering only.
    """
    n = len(vertices) // 2
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
    lines += [f"vt {0.5 + x / 0.06:.4f} {0.5 + (y + z) / 0.06:.4f}" for x, y, z in vertices]
    cap_a = vertices[:n]
    # orient caps by the prism axis so that normals face outwards
    axis = vertices[n] - vertices[0]
    normal = np.cross(cap_a[1] - cap_a[0], cap_a[2] - cap_a[0]) if n >= 3 else axis
    flip = float(np.dot(normal, axis)) > 0
    faces = []
    for i in range(1, n - 1):
        a, b, c = 1, i + 1, i + 2
        faces.append((a, c, b) if flip else (a, b, c))
        faces.append((n + a, n + b, n + c) if flip else (n + a, n + c, n + b))
    for i in range(n):
        j = (i + 1) % n
        quad = (i + 1, j + 1, n + j + 1, n + i + 1)
        faces.append(quad if flip else quad[::-1])
    lines += ["f " + " ".join(f"{k}/{k}" for k in face) for face in faces]
    return "\n".join(lines) + "\n"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "greenroom" / "pushgrasp-blocks"


def write_block_files(shapes: list[BlockShape] | None = None, root: Path | None = None) -> dict[str, list[Path]]:
    """Write each block's convex parts as OBJ files (idempotent); returns {name: [part files]}."""
    shapes = shapes or make_block_set()
    root = Path(root) if root is not None else cache_dir()
    out: dict[str, list[Path]] = {}
    for shape in shapes:
        files = []
        for index, part in enumerate(shape.parts):
            text = _obj_text(part)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            path = root / f"{shape.name}-{index}-{digest}.obj"
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(text)
                os.replace(tmp, path)
            files.append(path)
        out[shape.name] = files
    return out


# Tableau-10 palette, as in VPG (RGB 0-1)
PALETTE = np.array([[78, 121, 167], [89, 161, 79], [156, 117, 95], [242, 142, 43], [237, 201, 72],
                    [186, 176, 172], [255, 87, 87], [176, 122, 161], [118, 183, 178], [255, 157, 167]]) / 255.0
