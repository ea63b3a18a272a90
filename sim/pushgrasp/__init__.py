"""VPG-style push-and-grasp simulator (pybullet) and its pybullet-free pieces.

Importing this package imports neither pybullet nor torch: ``heightmap``, ``geometry``,
``blocks``, ``testcases`` and ``config`` are numpy-only so the ROS arm nodes can reuse them; the
pybullet parts (``camera``, ``robot``, ``world``, ``env``) load only when imported.
"""
from .geometry import GRASP, PRIMITIVES, PUSH, PrimitiveGeometry, plan_primitive
from .heightmap import Intrinsics, Workspace, changed_cells, heightmap

__all__ = ["GRASP", "PUSH", "PRIMITIVES", "PrimitiveGeometry", "plan_primitive", "Intrinsics", "Workspace",
           "heightmap", "changed_cells"]
