"""Layers shared by the Rodimus and Transformer models: RMSNorm and NeoX-style rotary embeddings."""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    """RMSNorm with a weight and no bias, computed in float32, output in the weight's dtype."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x * self.weight.float()).to(self.weight.dtype)


def apply_rotary(x: torch.Tensor, positions: torch.Tensor, rotary_dim: int, base: float) -> torch.Tensor:
    """NeoX-style (non-interleaved) RoPE on the first ``rotary_dim`` channels. x: [B, T, H, hd], positions: [T]."""
    half = rotary_dim // 2
    inv_freq = 1.0 / base ** (torch.arange(0, rotary_dim, 2, device=x.device, dtype=torch.float32) / rotary_dim)
    angles = positions.to(torch.float32)[:, None] * inv_freq  # [T, half]
    cos, sin = angles.cos()[:, None], angles.sin()[:, None]  # [T, 1, half]
    x1, x2, rest = x[..., :half].float(), x[..., half:rotary_dim].float(), x[..., rotary_dim:]
    rotated = torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).to(x.dtype)
    return torch.cat([rotated, rest], dim=-1)
