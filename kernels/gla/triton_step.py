"""Triton fused single-token update of gated linear attention: S = diag(exp(g)) S + k v^T ; o = scale * q^T S.

One program per (V-tile, sequence); the state tile is read and written once, in place. Plain pointer arithmetic,
float32 math (Triton 3.6-3.9, TRITON_INTERPRET=1 on the CPU).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def recurrent_gla_step_kernel(
    q, k, v, g, o, h,
    scale,
    K: tl.constexpr, V: tl.constexpr,
    BK: tl.constexpr, BV: tl.constexpr,
):
    i_v, i_b = tl.program_id(0), tl.program_id(1)
    o_k = tl.arange(0, BK)
    o_v = i_v * BV + tl.arange(0, BV)
    m_k, m_v = o_k < K, o_v < V
    m_kv = m_k[:, None] & m_v[None, :]
    # [BK]
    b_q = tl.load(q + i_b * K + o_k, mask=m_k, other=0.0).to(tl.float32) * scale
    b_k = tl.load(k + i_b * K + o_k, mask=m_k, other=0.0).to(tl.float32)
    b_g = tl.load(g + i_b * K + o_k, mask=m_k, other=0.0).to(tl.float32)
    # [BV]
    b_v = tl.load(v + i_b * V + o_v, mask=m_v, other=0.0).to(tl.float32)
    # [BK, BV]
    p_h = h + i_b * K * V + o_k[:, None] * V + o_v[None, :]
    b_h = tl.load(p_h, mask=m_kv, other=0.0)
    b_h = b_h * tl.exp(b_g)[:, None] + b_k[:, None] * b_v[None, :]
    tl.store(p_h, b_h, mask=m_kv)
    b_o = tl.sum(b_q[:, None] * b_h, axis=0)
    tl.store(o + i_b * V + o_v, b_o.to(o.dtype.element_ty), mask=m_v)


def recurrent_gla_step_triton(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    state: torch.Tensor,
    scale: float | None = None,
) -> torch.Tensor:
    """q, k, g [B, K]; v [B, V]; state [B, K, V] float32 contiguous, updated in place -> o [B, V] in v's dtype."""
    B, K = q.shape
    V = v.shape[-1]
    if state.dtype != torch.float32 or not state.is_contiguous():
        raise ValueError(f"state must be contiguous float32, got {state.dtype} contiguous={state.is_contiguous()}")
    scale = K**-0.5 if scale is None else scale
    q, k, v, g = (x.contiguous() for x in (q, k, v, g))
    o = torch.empty_like(v)
    BK = triton.next_power_of_2(K)
    BV = min(triton.next_power_of_2(V), 128)
    recurrent_gla_step_kernel[(triton.cdiv(V, BV), B)](q, k, v, g, o, state, scale, K=K, V=V, BK=BK, BV=BV)
    return o
