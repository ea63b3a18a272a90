"""Test arrangements: VPG's test-case file format and the project's hard-arrangement generator.

No pybullet import. An arrangement is a list of :class:`ObjectSpec` in the world frame (VPG's:
z up, metres, table at z = 0). Orientations are VPG/V-REP Euler angles ``(rx, ry, rz)`` rad,
meaning ``R = Rx(rx) @ Ry(ry) @ Rz(rz)``; :func:`euler_xyz_to_quaternion` converts them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import rotations
from .blocks import BLOCK_NAMES, PALETTE, make_block_set
from .heightmap import Workspace


@dataclass(frozen=True)
class ObjectSpec:
    """One block: ``mesh`` is a project block name or a path to a .obj mesh; colour RGB 0-1."""

    mesh: str
    color: tuple[float, float, float]
    position: tuple[float, float, float]
    euler_xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    mesh_rotation: tuple[float, ...] = ()   # row-major 3x3 mesh -> object frame rotation (empty: identity)

    def quaternion(self) -> tuple[float, float, float, float]:
        """World orientation (x, y, z, w) of the mesh: R(euler) @ mesh_rotation."""
        rotation = euler_xyz_to_matrix(self.euler_xyz)
        if self.mesh_rotation:
            rotation = rotation @ np.array(self.mesh_rotation, dtype=np.float64).reshape(3, 3)
        return matrix_to_quaternion(rotation)


# V-REP re-frames a mesh when importing it (``sim.createMeshShape``), so VPG's test-case poses refer
# to a frame whose axes are a permutation of the .obj axes. The permutation of each VPG block
# (keyed by file name and vertex count) was recovered by minimizing interpenetration and floor
# penetration over the 11 test cases (from 0.57 m to 0.13 m summed penetration depth; the rest
# are contacts that pybullet resolves when the case settles). Other meshes use the identity.
VPG_MESH_FRAMES: dict[tuple[str, int], tuple[float, ...]] = {
    ("0.obj", 26): (0, 1, 0, 0, 0, 1, 1, 0, 0),
    ("1.obj", 100): (0, -1, 0, 0, 0, -1, 1, 0, 0),
    ("2.obj", 38): (0, 0, 1, 0, -1, 0, 1, 0, 0),
    ("7.obj", 99): (0, -1, 0, 0, 0, -1, 1, 0, 0),
    ("8.obj", 114): (0, -1, 0, 0, 0, 1, -1, 0, 0),
}


def vpg_mesh_rotation(mesh: Path) -> tuple[float, ...]:
    vertex_count = sum(1 for line in Path(mesh).read_text().splitlines() if line.startswith("v "))
    return tuple(float(v) for v in VPG_MESH_FRAMES.get((Path(mesh).name, vertex_count), ()))

def euler_xyz_to_quaternion(euler: tuple[float, float, float]) -> tuple[float, float, float, float]:
    """V-REP Euler angles (R = Rx Ry Rz, intrinsic XYZ) -> quaternion (x, y, z, w) as pybullet expects."""
    return tuple(float(v) for v in rotations.euler_to_quat(euler, "XYZ"))  # type: ignore[return-value]


def euler_xyz_to_matrix(euler: tuple[float, float, float]) -> np.ndarray:
    """V-REP Euler angles -> 3x3 rotation ``Rx(a) @ Ry(b) @ Rz(c)``."""
    return rotations.euler_to_matrix(euler, "XYZ")


def matrix_to_quaternion(m: np.ndarray) -> tuple[float, float, float, float]:
    """3x3 rotation -> unit quaternion (x, y, z, w), w >= 0."""
    return tuple(float(v) for v in rotations.matrix_to_quat(m))  # type: ignore[return-value]


def load_vpg_test_case(path: Path, mesh_dir: Path, workspace: Workspace | None = None) -> list[ObjectSpec]:
    """Read a VPG test case (lines ``<mesh> r g b x y z rx ry rz``); parked objects are dropped.

    Args:
        path: the test-case text file.
        mesh_dir: folder holding the meshes the file names (VPG: ``objects/blocks``).
        workspace: objects whose (x, y) is outside it are parked ones and are ignored.
    Raises:
        ValueError naming the file and line for malformed lines; FileNotFoundError for a missing
        file or mesh.
    """
    path, mesh_dir = Path(path), Path(mesh_dir)
    workspace = workspace or Workspace()
    if not path.is_file():
        raise FileNotFoundError(f"VPG test case {path} does not exist")
    if not mesh_dir.is_dir():
        raise FileNotFoundError(f"mesh folder {mesh_dir} does not exist")
    objects = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 10:
            raise ValueError(f"{path}:{number}: expected 10 fields '<mesh> r g b x y z rx ry rz', got {len(fields)}")
        try:
            values = [float(v) for v in fields[1:]]
        except ValueError:
            raise ValueError(f"{path}:{number}: fields 2-10 must be numbers; got {fields[1:]}") from None
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{path}:{number}: non-finite value in {fields[1:]}")
        position = tuple(values[3:6])
        if not workspace.contains_xy(np.array(position[:2])) or not -0.1 < position[2] < 1.0:
            continue  # parked outside the workspace (VPG keeps unused objects there) or fallen off the world
        mesh = mesh_dir / fields[0]
        if not mesh.is_file():
            raise FileNotFoundError(f"{path}:{number}: mesh {mesh} does not exist")
        objects.append(ObjectSpec(str(mesh), tuple(values[0:3]), position, tuple(values[6:9]),  # type: ignore[arg-type]
                                  vpg_mesh_rotation(mesh)))
    if not objects:
        raise ValueError(f"{path}: no object lies inside the workspace {workspace}")
    return objects


def save_vpg_test_case(objects: list[ObjectSpec], path: Path) -> None:
    """Write ``objects`` in VPG's format (mesh names as given)."""
    lines = [" ".join([Path(o.mesh).name if o.mesh.endswith(".obj") else o.mesh]
                      + [f"{v:.18e}" for v in (*o.color, *o.position, *o.euler_xyz)]) for o in objects]
    Path(path).write_text("\n".join(lines) + "\n")


_HALF_HEIGHT = {shape.name: float(shape.extent[2] / 2) for shape in make_block_set()}


def hard_arrangement(kind: str, rng: np.random.Generator, workspace: Workspace | None = None) -> list[ObjectSpec]:
    """A hard arrangement of project blocks, in the spirit of VPG's hand-made test cases.

    Kinds:
        ``tight_cluster``: 4-6 blocks packed edge to edge (2-5 mm gaps) in a grid, plus one
        isolated sanity block (as VPG's cases have).
        ``wall``: 3-5 cuboids side by side in a row, touching, so no jaw fits between them.
        ``pair``: blocks pressed pairwise against each other, long sides touching.
    """
    workspace = workspace or Workspace()
    cx, cy = workspace.center
    cx += rng.uniform(-0.06, 0.06)
    cy += rng.uniform(-0.06, 0.06)
    yaw = float(rng.uniform(-np.pi, np.pi))
    rot = rotations.yaw_matrix(yaw)[:2, :2]
    colors = PALETTE[rng.permutation(len(PALETTE))]
    local: list[tuple[str, float, float, float]] = []  # (block, x, y, yaw offset) in the cluster frame
    if kind == "tight_cluster":
        n = int(rng.integers(4, 7))
        pitch = 0.043 + rng.uniform(0.0, 0.004)
        names = [str(rng.choice(["cube", "cylinder", "hexagon", "cube"])) for _ in range(n)]
        for i, name in enumerate(names):
            local.append((name, (i % 3 - 1) * pitch, (i // 3 - 0.5) * pitch, 0.0))
    elif kind == "wall":
        n = int(rng.integers(3, 6))
        for i in range(n):
            local.append(("cuboid", 0.0, (i - (n - 1) / 2) * 0.0305, 0.0))
    elif kind == "pair":
        for j in range(2):
            name = str(rng.choice(["cuboid", "half_cylinder", "triangular_prism"]))
            for i in range(2):
                local.append((name, (j - 0.5) * 0.09, (i - 0.5) * 0.0305, 0.0))
    else:
        raise ValueError(f"unknown hard arrangement kind {kind!r}; valid: tight_cluster, wall, pair")
    objects = []
    for i, (name, lx, ly, dyaw) in enumerate(local):
        x, y = np.array([cx, cy]) + rot @ np.array([lx, ly])
        objects.append(ObjectSpec(name, tuple(colors[i % len(colors)]), (float(x), float(y), _HALF_HEIGHT[name] + 0.001),
                                  (0.0, 0.0, yaw + dyaw)))
    # the isolated sanity object, away from the cluster (VPG cases have one)
    away = np.array(workspace.center) - 0.15 * np.sign(np.array([cx, cy]) - np.array(workspace.center) + 1e-6)
    name = str(rng.choice(list(BLOCK_NAMES)))
    objects.append(ObjectSpec(name, tuple(colors[-1]), (float(away[0]), float(away[1]), _HALF_HEIGHT[name] + 0.001),
                              (0.0, 0.0, float(rng.uniform(-np.pi, np.pi)))))
    return objects


HARD_KINDS = ("tight_cluster", "wall", "pair")


def hard_cases(count: int, seed: int = 0, workspace: Workspace | None = None) -> list[list[ObjectSpec]]:
    """``count`` reproducible hard arrangements cycling through :data:`HARD_KINDS`."""
    rng = np.random.default_rng(seed)
    return [hard_arrangement(HARD_KINDS[i % len(HARD_KINDS)], rng, workspace) for i in range(count)]
