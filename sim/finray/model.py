"""MJCF of the fin: ``n_rays`` planar rays, each a chain of hinged segments, tethered at the base.

Ray ``i`` hangs from the base point (x_i, 0, 0), x_i = -i * ray_spacing (ray 0 at the head,
+x), toward -z. Every hinge axis is the world x axis, so rays sweep and bend laterally (+/-y)
in the y-z plane. The first hinge of each ray is driven by a ``position`` actuator with torque
and target limits; the others are passive springs (stiffness tapering toward the tip) with
damping. Neighbouring rays are joined node-to-node by slack spatial tendons, the membrane's
in-plane elasticity; its fluid loading is computed by :mod:`.fluid`. Gravity is off
(neutrally buoyant fin); the added mass of the membrane is lumped into the segments.
"""
from __future__ import annotations

import numpy as np

from .config import FinRayEnvConfig


def joint_name(ray: int, seg: int) -> str:
    return f"ray{ray}_j{seg}"


def added_mass_per_segment(cfg: FinRayEnvConfig, density: float = 1000.0) -> float:
    """Strip-theory added mass of a membrane strip of height L and width ray_spacing, per segment (kg)."""
    strip = cfg.added_mass_coef * density * np.pi * cfg.ray_length**2 / 4.0 * cfg.ray_spacing
    return float(strip / cfg.segments)


def build_mjcf(cfg: FinRayEnvConfig) -> str:
    """The MJCF XML string of the fin described by ``cfg`` (nominal, un-randomized values)."""
    seg = cfg.ray_length / cfg.segments
    mass = cfg.segment_mass + added_mass_per_segment(cfg)
    inertia = mass * seg**2 / 12.0
    taper = np.linspace(1.0, 1.0 - cfg.stiffness_taper, max(cfg.segments - 1, 1))
    bodies, sites_per_ray = [], []
    for i in range(cfg.n_rays):
        x = -i * cfg.ray_spacing
        xml, close = [], []
        sites = []
        for j in range(cfg.segments):
            pos = f"{x:.6f} 0 0" if j == 0 else f"0 0 {-seg:.6f}"
            if j == 0:
                joint = (f'<joint name="{joint_name(i, 0)}" type="hinge" axis="1 0 0" '
                         f'damping="{cfg.base_damping}" range="{-1.5 * cfg.max_angle} {1.5 * cfg.max_angle}"/>')
            else:
                joint = (f'<joint name="{joint_name(i, j)}" type="hinge" axis="1 0 0" '
                         f'stiffness="{cfg.bend_stiffness * taper[j - 1]:.6g}" damping="{cfg.bend_damping}" '
                         f'range="-1.2 1.2"/>')
            site = f"r{i}n{j + 1}"
            sites.append(site)
            xml.append(
                f'<body name="ray{i}_s{j}" pos="{pos}">{joint}'
                f'<inertial pos="0 0 {-seg / 2:.6f}" mass="{mass:.6g}" '
                f'diaginertia="{inertia:.6g} {inertia:.6g} {inertia * 1e-2:.6g}"/>'
                f'<geom type="capsule" fromto="0 0 0 0 0 {-seg:.6f}" size="0.0015" mass="0" rgba=".9 .6 .2 1"/>'
                f'<site name="{site}" pos="0 0 {-seg:.6f}" size="0.002"/>'
            )
            close.append("</body>")
        bodies.append("".join(xml) + "".join(reversed(close)))
        sites_per_ray.append(sites)
    tendons = []
    slack = cfg.membrane_slack * cfg.ray_spacing
    for i in range(cfg.n_rays - 1):
        for j in range(cfg.segments):
            tendons.append(
                f'<spatial name="mem{i}_{j}" stiffness="{cfg.membrane_stiffness}" springlength="0 {slack:.6f}" '
                f'limited="false"><site site="{sites_per_ray[i][j]}"/><site site="{sites_per_ray[i + 1][j]}"/></spatial>'
            )
    actuators = [
        f'<position name="ray{i}_base" joint="{joint_name(i, 0)}" kp="{cfg.kp}" '
        f'ctrlrange="{-cfg.max_angle} {cfg.max_angle}" forcerange="{-cfg.torque_limit} {cfg.torque_limit}"/>'
        for i in range(cfg.n_rays)
    ]
    return f"""<mujoco model="finray">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{cfg.physics_dt}" gravity="0 0 0" integrator="implicitfast">
    <flag contact="disable" energy="disable"/>
  </option>
  <visual><headlight ambient=".45 .45 .45" diffuse=".7 .7 .7"/><rgba haze=".15 .25 .35 1"/></visual>
  <asset><texture type="skybox" builtin="gradient" rgb1=".35 .55 .7" rgb2=".05 .1 .2" width="64" height="64"/></asset>
  <worldbody>
    <geom name="base" type="box" pos="{-(cfg.n_rays - 1) * cfg.ray_spacing / 2:.6f} 0 0.003"
          size="{(cfg.n_rays - 1) * cfg.ray_spacing / 2 + 0.005:.6f} 0.004 0.003" rgba=".3 .3 .35 1"/>
    {"".join(bodies)}
  </worldbody>
  <tendon>{"".join(tendons)}</tendon>
  <actuator>{"".join(actuators)}</actuator>
</mujoco>"""
