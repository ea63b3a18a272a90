"""The CAD2RL value network: one RGB image -> a rows x cols grid of direction values.

Input: uint8 (N, H, W, 3) RGB, exactly what the camera (and the ONNX graph) gets; the module
converts it to float in [0, 1], channels first. Output: float32 (N, rows, cols) in (0, 1),
cell (r, c) = predicted normalised discounted collision-free return of flying toward the
:class:`~greenroom.sim.flight.grid.DirectionGrid` direction through that cell (row 0 = top,
column 0 = left); see :mod:`.labels` for the label scale.

Input: ``input_norm`` ``none`` scales pixels to [0, 1]; ``instance`` standardizes each image's
channels (zero mean, unit standard deviation over the image, floored at 1/100). ``mirror_average``
averages the scores of the image and of its left-right mirror (grid columns mirrored back).

Trunk: ``len(channels)`` stages of [3x3 conv stride 2, ReLU] (+ ``convs_per_stage - 1`` 3x3 conv
stride 1, ReLU), then a fully connected layer of ``hidden`` units and a linear head with a
sigmoid. ``aux_depth``: a training-only head on the trunk's last feature map (3x3 conv, ReLU, 1x1 conv,
pixel shuffle by :data:`DEPTH_UPSCALE`) predicts the camera's depth image, coarsened to
:attr:`FlightValueNet.depth_side` px a side as :func:`depth_targets` encodes it; the acting graph
(:meth:`FlightValueNet.forward`, the ONNX export) does not use it. The ``cpu`` preset is a ~0.3 M
parameter net at 64 px (about 0.1 ms per frame on ONNX Runtime, one thread); ``paper`` is a VGG-like 5-stage trunk with two convs per stage at 224 px
(CAD2RL used an ImageNet VGG-16 trunk, shared/docs/papers.md 2.2, unverified).

:class:`PolicyGraph` wraps the net for export: values, the argmax cell and its Twist from
:class:`ActionHead` (the torch transcription of :class:`~greenroom.sim.flight.actions.ActionSet`:
fixed-speed table lookup in ``cad2rl`` mode; speed from the chosen cell's value and turn in
place in ``clearance`` mode), all inside the graph.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...sim.flight.actions import ActionSet
from .config import DEPTH_UPSCALE, INPUT_NORMS, trunk_side


INSTANCE_NORM_FLOOR = 0.01
"""Smallest standard deviation ``input_norm=instance`` divides by (pixel scale [0, 1]): a flat image
stays flat instead of amplifying its noise."""


class FlightValueNet(nn.Module):
    """CNN from uint8 RGB images to a grid of direction values.

    Args:
        image_size: square input side (px).
        rows, cols: DirectionGrid shape.
        channels: output channels of each stride-2 stage.
        convs_per_stage: 3x3 convs per stage (the first has stride 2).
        hidden: units of the fully connected layer.
        input_norm: ``none`` or ``instance`` (per-image channel standardization).
        mirror_average: average the scores of the image and its mirror (no weights: may be switched later).
        aux_depth: add the training-only depth head (:meth:`values_and_depth`).
    """

    def __init__(self, image_size: int, rows: int, cols: int, channels: tuple[int, ...] = (16, 32, 64, 64),
                 convs_per_stage: int = 1, hidden: int = 256, input_norm: str = "none",
                 mirror_average: bool = False, aux_depth: bool = False) -> None:
        super().__init__()
        if image_size < 2 ** len(channels):
            raise ValueError(f"image_size {image_size} px is too small for {len(channels)} stride-2 stages")
        if input_norm not in INPUT_NORMS:
            raise ValueError(f"input_norm must be one of {', '.join(INPUT_NORMS)}, got {input_norm!r}")
        self.image_size, self.rows, self.cols = int(image_size), int(rows), int(cols)
        self.input_norm, self.mirror_average = input_norm, bool(mirror_average)
        layers: list[nn.Module] = []
        in_ch = 3
        for out_ch in channels:
            layers += [nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
            for _ in range(convs_per_stage - 1):
                layers += [nn.Conv2d(out_ch, out_ch, 3, padding=1), nn.ReLU(inplace=True)]
            in_ch = out_ch
        self.trunk = nn.Sequential(*layers)
        side = trunk_side(self.image_size, len(channels))
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(in_ch * side * side, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, rows * cols),
        )
        self.depth_side = side * DEPTH_UPSCALE
        self.depth_head = nn.Sequential(
            nn.Conv2d(in_ch, 32, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(32, DEPTH_UPSCALE ** 2, 1),
            nn.PixelShuffle(DEPTH_UPSCALE), nn.Sigmoid(),
        ) if aux_depth else None

    def _pixels(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W, 3) -> float32 (N, 3, H, W): [0, 1], per-image standardized with ``instance``."""
        x = image.permute(0, 3, 1, 2).to(torch.float32) * (1.0 / 255.0)
        if self.input_norm == "instance":
            mean = x.mean(dim=(2, 3), keepdim=True)
            std = torch.sqrt(((x - mean) ** 2).mean(dim=(2, 3), keepdim=True) + INSTANCE_NORM_FLOOR ** 2)
            x = (x - mean) / std
        return x

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W, 3) -> float32 (N, rows*cols) pre-sigmoid scores."""
        x = self._pixels(image)
        scores = self.head(self.trunk(x))
        if not self.mirror_average:
            return scores
        mirrored = self.head(self.trunk(x.flip(3))).reshape(-1, self.rows, self.cols).flip(2)
        return 0.5 * (scores + mirrored.reshape(-1, self.rows * self.cols))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W, 3) RGB -> float32 (N, rows, cols) values in (0, 1)."""
        return torch.sigmoid(self.logits(image)).reshape(-1, self.rows, self.cols)

    def values_and_depth(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training with ``aux_depth``: uint8 (N, H, W, 3) -> (values (N, rows, cols) as :meth:`forward`,
        depth (N, depth_side, depth_side) in (0, 1), the encoding of :func:`depth_targets`)."""
        if self.depth_head is None:
            raise RuntimeError("this network has no depth head (built without aux_depth)")
        features = self.trunk(self._pixels(image))
        if self.mirror_average:
            values = self(image)
        else:
            values = torch.sigmoid(self.head(features)).reshape(-1, self.rows, self.cols)
        return values, self.depth_head(features)[:, 0]

    @torch.no_grad()
    def act(self, image: np.ndarray) -> tuple[int, np.ndarray]:
        """One uint8 (H, W, 3) frame -> (argmax cell index, values (rows, cols) float32)."""
        values = self(torch.from_numpy(np.ascontiguousarray(image))[None])[0].numpy()
        return int(values.argmax()), values


class ActionHead(nn.Module):
    """Values (N, cells) -> (argmax index (N,) int64, Twist (N, 4) float32), exactly
    :meth:`ActionSet.act` (parity-tested) as graph operations with constant buffers."""

    def __init__(self, actions: ActionSet) -> None:
        super().__init__()
        c, grid = actions.config, actions.grid
        self.clearance = c.mode == "clearance"
        self.register_buffer("unit", torch.as_tensor(actions.unit.astype(np.float32)))
        self.register_buffer("turn", torch.tensor([[0.0, 0.0, 0.0, c.turn_rate]], dtype=torch.float32))
        self.min_speed, self.max_speed = float(c.min_speed), float(c.max_speed)
        self.turn_below, self.forward_speed = float(c.turn_below), float(grid.forward_speed)
        self.speed_from = float(c.speed_from)
        self.max_vz = float(grid.max_vertical_speed)

    def forward(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        index = values.argmax(dim=1)
        unit = self.unit[index]
        if not self.clearance:
            return index, unit
        v = values.gather(1, index[:, None])[:, 0]
        frac = torch.clamp((v - self.speed_from) / (1.0 - self.speed_from), 0.0, 1.0)
        scale = (self.min_speed + (self.max_speed - self.min_speed) * frac) / self.forward_speed
        vz = torch.clamp(unit[:, 2] * scale, -self.max_vz, self.max_vz)
        fly = torch.cat([unit[:, :2] * scale[:, None], vz[:, None], unit[:, 3:4]], dim=1)
        return index, torch.where((v < self.turn_below)[:, None], self.turn.expand_as(fly), fly)


class PolicyGraph(nn.Module):
    """Exported acting graph: image -> (values, argmax index, Twist from the action set).

    ``actions``: the :class:`ActionSet` ([vx, vy, vz, yaw_rate], m/s and rad/s, body frame)
    whose constants become constants of the ONNX graph.
    """

    def __init__(self, net: FlightValueNet, actions: ActionSet) -> None:
        super().__init__()
        if actions.grid.shape != (net.rows, net.cols):
            raise ValueError(f"action set grid {actions.grid.shape} does not fit a {net.rows}x{net.cols} value net")
        self.net = net
        self.head = ActionHead(actions)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        values = self.net(image)
        index, twist = self.head(values.flatten(1))
        return values, index, twist


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def depth_targets(depth: np.ndarray, side: int, max_range: float) -> np.ndarray:
    """Auxiliary depth targets: metric depth (N, H, W) (m) -> float16 (N, side, side) in [0, 1].

    Each value is ``log(1 + d) / log(1 + max_range)`` with ``d`` capped at ``max_range``, averaged over
    the block of pixels it covers (``side`` must divide H and W): near surfaces, where a
    collision happens, get most of the range.
    """
    depth = np.minimum(np.asarray(depth, np.float32), max_range)
    n, h, w = depth.shape
    if h % side or w % side:
        raise ValueError(f"depth image {h}x{w} px is not a whole number of {side}x{side} blocks")
    encoded = np.log1p(depth) / np.log1p(max_range)
    return encoded.reshape(n, side, h // side, side, w // side).mean(axis=(2, 4)).astype(np.float16)


def build_network(config: "object") -> FlightValueNet:
    """The value net a :class:`~greenroom.policies.flight.config.FlightTrainConfig` describes."""
    env, net = config.env, config.network  # type: ignore[attr-defined]
    return FlightValueNet(env.image_size, env.grid_rows, env.grid_cols, tuple(net.channels),
                          net.convs_per_stage, net.hidden, net.input_norm, net.mirror_average,
                          config.aux_depth > 0)  # type: ignore[attr-defined]
