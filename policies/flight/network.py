"""The CAD2RL value network: one RGB image -> a rows x cols grid of direction values.

Input: uint8 (N, H, W, 3) RGB, exactly what the camera (and the ONNX graph) gets; the module
converts it to float in [0, 1], channels first. Output: float32 (N, rows, cols) in (0, 1),
cell (r, c) = predicted normalised discounted collision-free return of flying toward the
:class:`~greenroom.sim.flight.grid.DirectionGrid` direction through that cell (row 0 = top,
column 0 = left); see :mod:`.labels` for the label scale.

Trunk: ``len(channels)`` stages of [3x3 conv stride 2, ReLU] (+ ``convs_per_stage - 1`` 3x3 conv
stride 1, ReLU), then a fully connected layer of ``hidden`` units and a linear head with a
sigmoid. The ``cpu`` preset is a ~0.3 M parameter net at 64 px (about 0.1 ms per frame on ONNX
Runtime, one thread); ``paper`` is a VGG-like 5-stage trunk with two convs per stage at 224 px
(CAD2RL used an ImageNet VGG-16 trunk, shared/docs/papers.md 2.2, unverified).

:class:`PolicyGraph` wraps the net for export: values, the argmax cell and its Twist looked up
in the grid's twist table, all inside the graph.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class FlightValueNet(nn.Module):
    """CNN from uint8 RGB images to a grid of direction values.

    Args:
        image_size: square input side (px).
        rows, cols: DirectionGrid shape.
        channels: output channels of each stride-2 stage.
        convs_per_stage: 3x3 convs per stage (the first has stride 2).
        hidden: units of the fully connected layer.
    """

    def __init__(self, image_size: int, rows: int, cols: int, channels: tuple[int, ...] = (16, 32, 64, 64),
                 convs_per_stage: int = 1, hidden: int = 256) -> None:
        super().__init__()
        if image_size < 2 ** len(channels):
            raise ValueError(f"image_size {image_size} px is too small for {len(channels)} stride-2 stages")
        self.image_size, self.rows, self.cols = int(image_size), int(rows), int(cols)
        layers: list[nn.Module] = []
        in_ch = 3
        for out_ch in channels:
            layers += [nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
            for _ in range(convs_per_stage - 1):
                layers += [nn.Conv2d(out_ch, out_ch, 3, padding=1), nn.ReLU(inplace=True)]
            in_ch = out_ch
        self.trunk = nn.Sequential(*layers)
        side = self.image_size
        for _ in channels:
            side = (side + 1) // 2
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(in_ch * side * side, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, rows * cols),
        )

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W, 3) -> float32 (N, rows*cols) pre-sigmoid scores."""
        x = image.permute(0, 3, 1, 2).to(torch.float32) * (1.0 / 255.0)
        return self.head(self.trunk(x))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W, 3) RGB -> float32 (N, rows, cols) values in (0, 1)."""
        return torch.sigmoid(self.logits(image)).reshape(-1, self.rows, self.cols)

    @torch.no_grad()
    def act(self, image: np.ndarray) -> tuple[int, np.ndarray]:
        """One uint8 (H, W, 3) frame -> (argmax cell index, values (rows, cols) float32)."""
        values = self(torch.from_numpy(np.ascontiguousarray(image))[None])[0].numpy()
        return int(values.argmax()), values


class PolicyGraph(nn.Module):
    """Exported acting graph: image -> (values, argmax index, Twist of that cell).

    ``twists``: (rows*cols, 4) float32 Twist table of the DirectionGrid ([vx, vy, vz, yaw_rate],
    m/s and rad/s, body frame), stored as a buffer so it is a constant of the ONNX graph.
    """

    def __init__(self, net: FlightValueNet, twists: np.ndarray) -> None:
        super().__init__()
        if twists.shape != (net.rows * net.cols, 4):
            raise ValueError(f"twist table shape {twists.shape} does not fit a {net.rows}x{net.cols} grid")
        self.net = net
        self.register_buffer("twists", torch.as_tensor(np.asarray(twists, dtype=np.float32)))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        values = self.net(image)
        index = values.flatten(1).argmax(dim=1)
        return values, index, self.twists[index]


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def build_network(config: "object") -> FlightValueNet:
    """The value net a :class:`~greenroom.policies.flight.config.FlightTrainConfig` describes."""
    env, net = config.env, config.network  # type: ignore[attr-defined]
    return FlightValueNet(env.image_size, env.grid_rows, env.grid_cols, tuple(net.channels),
                          net.convs_per_stage, net.hidden)
