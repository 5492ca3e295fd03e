"""RodimusState: everything a Rodimus / Rodimus+ model carries from one token to the next, for one batch.

Per layer:
- ``conv``  [B, D, d_conv]: the last d_conv raw inputs of the short conv (official ``conv_state`` layout), model dtype.
- ``ssm``   [B, mem_size, D]: the recurrent state S, always float32 (the official cache keeps it in fp16/bf16).
- Rodimus+ only, a ring buffer of the sliding-window attention: ``keys`` [B, W, H_k, hd] (after RoPE) and
  ``values`` [B, W, H_v, hd] in the model dtype, W = ``left_window``; token at position p sits in slot p % W.
  It holds exactly the previous W tokens, the ones the next token attends to besides itself.

The size is fixed at allocation: it does not grow with the number of tokens consumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class LayerState:
    conv: torch.Tensor
    ssm: torch.Tensor
    keys: torch.Tensor | None = None
    values: torch.Tensor | None = None

    def tensors(self) -> list[torch.Tensor]:
        return [t for t in (self.conv, self.ssm, self.keys, self.values) if t is not None]


class RodimusState:
    """Recurrent state of a batch of sequences that all consumed ``position`` tokens."""

    def __init__(self, layers: list[LayerState], position: int = 0) -> None:
        self.layers = layers
        self.position = position

    @property
    def batch_size(self) -> int:
        return self.layers[0].conv.shape[0]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for layer in self.layers for t in layer.tensors())

    def clone(self) -> RodimusState:
        """A snapshot that later updates of ``self`` do not touch (one copy per tensor)."""
        layers = [
            LayerState(*(None if t is None else t.clone() for t in (s.conv, s.ssm, s.keys, s.values)))
            for s in self.layers
        ]
        return RodimusState(layers, self.position)

    def copy_(self, other: RodimusState) -> None:
        """Restore ``other`` into this state's tensors in place (same shapes), e.g. to roll back to a snapshot."""
        if len(other.layers) != len(self.layers):
            raise ValueError(f"state has {len(self.layers)} layers, snapshot has {len(other.layers)}")
        for mine, theirs in zip(self.layers, other.layers):
            for dst, src in zip(mine.tensors(), theirs.tensors(), strict=True):
                dst.copy_(src)
        self.position = other.position
