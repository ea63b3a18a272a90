"""VPG's two fully convolutional Q-networks over rotated heightmaps (torch).

Tensor flow of :class:`PushGraspNet` (S = heightmap size, k = rotations, P = padded size):

1. inputs ``color`` (B, S, S, 3) uint8 RGB heightmap and ``height`` (B, S, S) float32 metres;
   colour -> ImageNet-normalized, height -> (h - 0.01) / 0.03 (VPG's depth normalization);
2. zero-pad to P >= S * sqrt(2) (a multiple of the trunk stride) so no content is lost when
   rotating; replicate k times and rotate copy r by ``theta_r = 2 pi r / k`` with ``grid_sample``
   (bilinear, precomputed grids, so the whole thing exports to ONNX): in copy r, "rightward"
   is world direction theta_r;
3. per FCN (push, grasp): trunk (stride 8 small CNN, or VPG's two DenseNet-121 towers for colour
   and "DDD" depth, stride 32) -> head (1x1 convs) -> bilinear upsample to P;
4. rotate each map back by -theta_r and crop the centre S x S;
5. outputs ``push_q``, ``grasp_q`` (B, k, S, S): Q (or logit for reactive variants) of pushing
   along / grasping across theta_r at every cell (row = y, col = x; see sim.pushgrasp.geometry).

``forward`` computes all 2k maps in one call (acting, export); ``maps_at(r)`` computes one
rotation with gradients (training on the executed pixel, VPG).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HEIGHT_MEAN, HEIGHT_STD = 0.01, 0.03


class SmallTrunk(nn.Module):
    """4-channel (RGB + height) stride-8 CNN; receptive field ~ 60 cells (24 cm at 4 mm)."""

    stride = 8

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        c1, c2, c3, c4 = channels
        self.layers = nn.Sequential(
            nn.Conv2d(4, c1, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c4, 3, padding=2, dilation=2), nn.ReLU(inplace=True),
        )
        self.out_channels = c4

    def forward(self, color: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        return self.layers(torch.cat([color, depth], dim=1))


class DenseNetTrunk(nn.Module):
    """VPG's towers: DenseNet-121 features on colour and on depth replicated to 3 channels (DDD)."""

    stride = 32

    def __init__(self, pretrained: bool) -> None:
        super().__init__()
        try:
            import torchvision
        except ImportError as exc:
            raise ImportError("model.trunk=densenet121 (the paper preset) needs torchvision: "
                              "pip install torchvision (or use model.trunk=small)") from exc
        weights = torchvision.models.DenseNet121_Weights.IMAGENET1K_V1 if pretrained else None
        self.color_tower = torchvision.models.densenet121(weights=weights).features
        self.depth_tower = torchvision.models.densenet121(weights=weights).features
        self.out_channels = 2048

    def forward(self, color: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.color_tower(color), self.depth_tower(depth.repeat(1, 3, 1, 1))], dim=1)


class FCN(nn.Module):
    """Trunk + VPG head (BN-ReLU-1x1-BN-ReLU-1x1 for DenseNet; ReLU-1x1-ReLU-1x1 for small)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.trunk == "densenet121":
            self.trunk: nn.Module = DenseNetTrunk(config.pretrained)
            c = self.trunk.out_channels
            self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, 64, 1, bias=False),
                                      nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.Conv2d(64, 1, 1, bias=False))
        else:
            self.trunk = SmallTrunk(config.channels)
            c = self.trunk.out_channels
            self.head = nn.Sequential(nn.Conv2d(c, config.head_channels, 1), nn.ReLU(inplace=True),
                                      nn.Conv2d(config.head_channels, 1, 1))
        for m in self.head.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self.stride = self.trunk.stride

    def forward(self, color: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(color, depth))


def _rotation_grids(angles: torch.Tensor, size: int) -> torch.Tensor:
    """(n, P, P, 2) sampling grids rotating a square image: output(p) = input(R(angle) p)."""
    cos, sin = torch.cos(angles), torch.sin(angles)
    zeros = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zeros], -1), torch.stack([sin, cos, zeros], -1)], 1)
    return F.affine_grid(theta, [len(angles), 1, size, size], align_corners=False)


class PushGraspNet(nn.Module):
    """Push and grasp FCNs over k rotations (see module docstring)."""

    def __init__(self, size: int, num_rotations: int, config: ModelConfig) -> None:
        super().__init__()
        self.size, self.num_rotations = size, num_rotations
        self.push_net, self.grasp_net = FCN(config), FCN(config)
        stride = self.push_net.stride
        self.padded = int(math.ceil(size * math.sqrt(2) / stride) * stride)
        self.pad = (self.padded - size) // 2
        angles = 2 * math.pi * torch.arange(num_rotations, dtype=torch.float64) / num_rotations
        self.register_buffer("grid_in", _rotation_grids(angles, self.padded).float(), persistent=False)
        self.register_buffer("grid_out", _rotation_grids(-angles, self.padded).float(), persistent=False)
        self.register_buffer("color_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("color_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def _prepare(self, color: torch.Tensor, height: torch.Tensor) -> torch.Tensor:
        """(B, S, S, 3) uint8 + (B, S, S) float -> (B, 4, P, P) normalized, padded."""
        c = (color.permute(0, 3, 1, 2).float() / 255.0 - self.color_mean) / self.color_std
        h = (height.unsqueeze(1).float() - HEIGHT_MEAN) / HEIGHT_STD
        x = torch.cat([c, h], dim=1)
        extra = self.padded - self.size - self.pad
        return F.pad(x, (self.pad, extra, self.pad, extra))

    def _maps(self, x: torch.Tensor, grid_in: torch.Tensor, grid_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 4, P, P); grids (n, P, P, 2) -> two (B, n, S, S) maps."""
        batch, n = x.shape[0], grid_in.shape[0]
        rep = x.unsqueeze(1).expand(batch, n, 4, self.padded, self.padded).reshape(batch * n, 4, self.padded, self.padded)
        grid_in = grid_in.unsqueeze(0).expand(batch, n, self.padded, self.padded, 2).reshape(batch * n, self.padded, self.padded, 2)
        grid_out = grid_out.unsqueeze(0).expand(batch, n, self.padded, self.padded, 2).reshape(batch * n, self.padded, self.padded, 2)
        rotated = F.grid_sample(rep, grid_in, mode="bilinear", padding_mode="zeros", align_corners=False)
        color, depth = rotated[:, :3], rotated[:, 3:]
        outputs = []
        for net in (self.push_net, self.grasp_net):
            q = F.interpolate(net(color, depth), size=(self.padded, self.padded), mode="bilinear", align_corners=False)
            q = F.grid_sample(q, grid_out, mode="bilinear", padding_mode="zeros", align_corners=False)
            q = q[:, 0, self.pad:self.pad + self.size, self.pad:self.pad + self.size]
            outputs.append(q.reshape(batch, n, self.size, self.size))
        return outputs[0], outputs[1]

    def forward(self, color: torch.Tensor, height: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """All 2k maps: ``push_q``, ``grasp_q`` each (B, k, S, S)."""
        return self._maps(self._prepare(color, height), self.grid_in, self.grid_out)

    def maps_at(self, color: torch.Tensor, height: torch.Tensor, rotation: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Maps of one rotation (B, 1, S, S) each, with gradients (training)."""
        sl = slice(rotation, rotation + 1)
        return self._maps(self._prepare(color, height), self.grid_in[sl], self.grid_out[sl])
