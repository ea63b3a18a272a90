"""Collision geometry for external (VPG) meshes: a convex mesh is its own hull; a concave one
is voxelized and the voxels merged into boxes (numpy).

VPG's blocks include arches whose cut-outs other blocks sit in (test case 00 interlocks a
cylinder with two arches). A convex hull fills the cut-out, and pybullet's V-HACD returns two
parts for these small, thin meshes, so both make the hard cases explode apart at load. Instead
a concave mesh is voxelized (``voxel`` metres, inside test by ray parity) and runs of voxels are
merged into a few axis-aligned boxes that form a compound collision shape (exact to half a voxel).

Convex meshes (:func:`is_convex`: the mesh fills its hull) collide as the hull itself. Boxes
would turn their slopes and round sides into staircases, and staircases in contact never come
to rest: before 2026-12-05, VPG's cylinders, half-cylinders and prisms (``0.obj``, ``2.obj``,
``7.obj``, ``8.obj``) in untouched hard cases 00, 08 and 09 kept walking at 0.1 to 0.3 m/s for
seconds, and blocks walked off the workspace between actions. (The half-cylinder of case 05 still
rocks in place for seconds at low rolling resistance, with either model.)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def read_obj(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (n, 3) and triangles (m, 3) of a Wavefront OBJ (polygons fan-triangulated)."""
    vertices, faces = [], []
    for line in Path(path).read_text().splitlines():
        if line.startswith("v "):
            vertices.append([float(v) for v in line.split()[1:4]])
        elif line.startswith("f "):
            idx = [int(tok.split("/")[0]) for tok in line.split()[1:]]
            idx = [i - 1 if i > 0 else len(vertices) + i for i in idx]
            faces += [[idx[0], idx[i], idx[i + 1]] for i in range(1, len(idx) - 1)]
    if not vertices or not faces:
        raise ValueError(f"mesh {path} has no vertices or faces")
    return np.array(vertices), np.array(faces, dtype=np.int64)


def voxelize(vertices: np.ndarray, faces: np.ndarray, voxel: float) -> tuple[np.ndarray, np.ndarray]:
    """Boolean occupancy (nx, ny, nz) of voxel centres inside the mesh, and the grid origin (3,)."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    counts = np.maximum(1, np.round((hi - lo) / voxel).astype(int))
    step = (hi - lo) / counts
    axes = [lo[a] + (np.arange(counts[a]) + 0.5) * step[a] for a in range(3)]
    # ray from each (x, y) column centre towards +z; a tiny offset avoids hitting edges exactly
    x, y = np.meshgrid(axes[0] + 1.3e-6, axes[1] + 0.7e-6, indexing="ij")
    px, py = x.reshape(-1, 1), y.reshape(-1, 1)
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    det = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    ok = np.abs(det) > 1e-14
    a, b, c, det = a[ok], b[ok], c[ok], det[ok]
    l1 = ((b[:, 1] - c[:, 1]) * (px - c[:, 0]) + (c[:, 0] - b[:, 0]) * (py - c[:, 1])) / det
    l2 = ((c[:, 1] - a[:, 1]) * (px - c[:, 0]) + (a[:, 0] - c[:, 0]) * (py - c[:, 1])) / det
    l3 = 1 - l1 - l2
    hit = (l1 >= 0) & (l2 >= 0) & (l3 >= 0)                     # (columns, triangles)
    z_hit = l1 * a[:, 2] + l2 * b[:, 2] + l3 * c[:, 2]
    zs = axes[2]
    inside = np.zeros((px.shape[0], len(zs)), bool)
    for k, z in enumerate(zs):
        inside[:, k] = (np.count_nonzero(hit & (z_hit > z), axis=1) % 2) == 1
    return inside.reshape(counts[0], counts[1], counts[2]), lo, step


def merge_boxes(occupancy: np.ndarray) -> list[tuple[int, int, int, int, int, int]]:
    """Greedy merge of occupied voxels into boxes (i0, i1, j0, j1, k0, k1), end-exclusive."""
    runs = []
    nx, ny, nz = occupancy.shape
    for i in range(nx):
        for j in range(ny):
            col = occupancy[i, j]
            k = 0
            while k < nz:
                if col[k]:
                    k0 = k
                    while k < nz and col[k]:
                        k += 1
                    runs.append([i, i + 1, j, j + 1, k0, k])
                else:
                    k += 1
    for axis in ((2, 3), (0, 1)):  # merge along j, then along i
        runs.sort(key=lambda r: tuple(r[m] for m in range(6) if m not in axis) + (r[axis[0]],))
        merged: list[list[int]] = []
        for r in runs:
            last = merged[-1] if merged else None
            same = last is not None and all(last[m] == r[m] for m in range(6) if m not in axis)
            if same and last[axis[1]] == r[axis[0]]:  # type: ignore[index]
                last[axis[1]] = r[axis[1]]  # type: ignore[index]
            else:
                merged.append(list(r))
        runs = merged
    return [tuple(r) for r in runs]  # type: ignore[misc]


def mesh_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Enclosed volume (m^3) of a closed triangle mesh (divergence theorem)."""
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    return float(abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6.0)


def is_convex(path: Path, tolerance: float = 0.05) -> bool:
    """True when the mesh fills its convex hull to within ``tolerance`` of the hull's volume."""
    from scipy.spatial import ConvexHull

    vertices, faces = read_obj(path)
    hull = ConvexHull(vertices).volume
    return hull > 0 and mesh_volume(vertices, faces) >= (1.0 - tolerance) * hull


def mesh_boxes(path: Path, voxel: float = 0.004) -> tuple[np.ndarray, np.ndarray]:
    """Half extents (n, 3) and centres (n, 3) in the mesh frame of boxes approximating the mesh."""
    vertices, faces = read_obj(path)
    occupancy, lo, step = voxelize(vertices, faces, voxel)
    boxes = merge_boxes(occupancy)
    if not boxes:
        raise ValueError(f"mesh {path} encloses no volume at {voxel} m voxels (is it closed?)")
    b = np.array(boxes, dtype=np.float64)
    start = lo + b[:, [0, 2, 4]] * step
    end = lo + b[:, [1, 3, 5]] * step
    return (end - start) / 2, (end + start) / 2
