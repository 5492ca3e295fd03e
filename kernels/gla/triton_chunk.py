"""Triton chunked forward of gated linear attention (one head, per-key-dim decay), initial state in, final state out.

One program owns one V-tile of one sequence's state S [K, BV] and walks the sequence in chunks of BT = 16 tokens,
keeping S in registers (the fused-chunk schedule). Per chunk, with b the cumulative log decay since the chunk start:

    o     = scale * ((q * exp(b)) @ S + A @ v),   A[t, s] = sum_k q_tk k_sk exp(b_tk - b_sk)  (s <= t)
    S     = exp(b_last)[:, None] * S + (k * exp(b_last - b))^T @ v

A is built element by element from exp(b_t - b_s) with s <= t, so every exponent is <= 0 and nothing can overflow
whatever the decay. Plain pointer arithmetic (no block pointers), float32 math: runs on Triton 3.6-3.9 and under
TRITON_INTERPRET=1 on the CPU.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

CHUNK = 16


@triton.jit
def chunk_gla_fwd_kernel(
    q, k, v, g, o, h0, ht,
    T, scale,
    K: tl.constexpr, V: tl.constexpr,
    BT: tl.constexpr, BK: tl.constexpr, BV: tl.constexpr,
    USE_INITIAL_STATE: tl.constexpr,
):
    i_v, i_b = tl.program_id(0), tl.program_id(1)
    o_t = tl.arange(0, BT)
    o_k = tl.arange(0, BK)
    o_v = i_v * BV + tl.arange(0, BV)
    m_k, m_v = o_k < K, o_v < V
    m_kv = m_k[:, None] & m_v[None, :]
    p_h = i_b * K * V + o_k[:, None] * V + o_v[None, :]

    # [BK, BV]
    b_h = tl.zeros([BK, BV], dtype=tl.float32)
    if USE_INITIAL_STATE:
        b_h += tl.load(h0 + p_h, mask=m_kv, other=0.0).to(tl.float32)

    causal = o_t[:, None] >= o_t[None, :]
    for i_t in range(0, tl.cdiv(T, BT)):
        t = i_t * BT + o_t
        m_t = t < T
        m_tk = m_t[:, None] & m_k[None, :]
        p_qk = i_b * T * K + t[:, None] * K + o_k[None, :]
        # [BT, BK]
        b_q = tl.load(q + p_qk, mask=m_tk, other=0.0).to(tl.float32) * scale
        b_k = tl.load(k + p_qk, mask=m_tk, other=0.0).to(tl.float32)
        b_g = tl.load(g + p_qk, mask=m_tk, other=0.0).to(tl.float32)
        # [BT, BV]
        b_v = tl.load(v + i_b * T * V + t[:, None] * V + o_v[None, :],
                      mask=m_t[:, None] & m_v[None, :], other=0.0).to(tl.float32)

        b_b = tl.cumsum(b_g, axis=0)
        # [BK] decay over the whole chunk (padded tokens have g = 0)
        b_last = tl.sum(b_g, axis=0)
        # [BT, BT, BK] exact intra-chunk decay; masked entries would have positive exponents
        b_diff = b_b[:, None, :] - b_b[None, :, :]
        b_diff = tl.where(causal[:, :, None], b_diff, 0.0)
        b_a = tl.sum(b_q[:, None, :] * b_k[None, :, :] * tl.exp(b_diff), axis=2)
        b_a = tl.where(causal, b_a, 0.0)

        b_o = tl.dot(b_q * tl.exp(b_b), b_h) + tl.dot(b_a, b_v)
        tl.store(o + i_b * T * V + t[:, None] * V + o_v[None, :], b_o.to(o.dtype.element_ty),
                 mask=m_t[:, None] & m_v[None, :])

        b_kd = b_k * tl.exp(b_last[None, :] - b_b)
        b_h = b_h * tl.exp(b_last)[:, None] + tl.dot(tl.trans(b_kd), b_v)

    tl.store(ht + p_h, b_h, mask=m_kv)


def chunk_gla_triton(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    scale: float | None = None,
    initial_state: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same contract as ``kernels.gla.chunk.chunk_gla_torch`` (forward only):

    q, k, g [B, T, K]; v [B, T, V]; initial_state [B, K, V] or None -> (o [B, T, V] in v's dtype,
    final_state [B, K, V] float32).
    """
    B, T, K = q.shape
    V = v.shape[-1]
    if K > 128:
        raise ValueError(f"key dim K must be <= 128 for the Triton kernel, got {K}")
    scale = K**-0.5 if scale is None else scale
    q, k, v, g = (x.contiguous() for x in (q, k, v, g))
    o = torch.empty_like(v)
    final_state = torch.empty(B, K, V, dtype=torch.float32, device=q.device)
    h0 = initial_state.float().contiguous() if initial_state is not None else final_state
    BK = max(triton.next_power_of_2(K), 16)
    BV = min(max(triton.next_power_of_2(V), 16), 64)
    grid = (triton.cdiv(V, BV), B)
    chunk_gla_fwd_kernel[grid](
        q, k, v, g, o, h0, final_state, T, scale,
        K=K, V=V, BT=CHUNK, BK=BK, BV=BV, USE_INITIAL_STATE=initial_state is not None,
    )
    return o, final_state
