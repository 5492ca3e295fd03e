"""Gated linear attention with per-key-dimension log decay, one head (the Rodimus recurrence).

Layout everywhere: q, k, g [B, T, K]; v [B, T, V]; state [B, K, V] float32 (key dim first, as the official cache).
S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T ; o_t = scale * q_t^T S_t.

Public functions pick the backend: CUDA tensors with Triton importable use the Triton kernels (forward only, so
not while autograd records); everything else uses the pure-torch chunked path.
"""

from __future__ import annotations

import importlib.util

import torch

from kernels.gla.chunk import chunk_gla_torch, recurrent_gla_step_torch
from kernels.gla.naive import naive_recurrent_gla

__all__ = ["chunk_gla", "recurrent_gla_step", "naive_recurrent_gla", "chunk_gla_torch", "recurrent_gla_step_torch",
           "use_triton"]

# The Triton modules are imported lazily, on the first CUDA call: importing them decorates the kernels, and tests
# that run them under TRITON_INTERPRET=1 must be the ones to do it.
_HAVE_TRITON = importlib.util.find_spec("triton") is not None


def use_triton(x: torch.Tensor) -> bool:
    """Whether calls on ``x`` go to the Triton kernels: a CUDA tensor and Triton installed."""
    return x.is_cuda and _HAVE_TRITON


def chunk_gla(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    scale: float | None = None,
    initial_state: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Chunkwise-parallel form for prefill and training -> (o [B, T, V] in v's dtype, final_state [B, K, V] fp32)."""
    needs_grad = torch.is_grad_enabled() and any(x.requires_grad for x in (q, k, v, g))
    if use_triton(q) and not needs_grad:
        from kernels.gla.triton_chunk import chunk_gla_triton

        return chunk_gla_triton(q, k, v, g, scale=scale, initial_state=initial_state)
    return chunk_gla_torch(q, k, v, g, scale=scale, initial_state=initial_state)


def recurrent_gla_step(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    state: torch.Tensor,
    scale: float | None = None,
) -> torch.Tensor:
    """One token (q, k, g [B, K]; v [B, V]): updates ``state`` [B, K, V] fp32 in place, returns o [B, V]."""
    if use_triton(q) and state.is_contiguous():
        from kernels.gla.triton_step import recurrent_gla_step_triton

        return recurrent_gla_step_triton(q, k, v, g, state, scale=scale)
    return recurrent_gla_step_torch(q, k, v, g, state, scale=scale)
