"""Reference gated linear attention: a per-token loop in float32 (fla ``naive_recurrent_gla`` semantics).

One head. S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T ; o_t = scale * q_t^T S_t (the output reads the state after
the current token's update). The state is [K, V] (key dim first, as in the official Rodimus cache).
"""

from __future__ import annotations

import torch


def naive_recurrent_gla(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    scale: float | None = None,
    initial_state: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Args:
        q, k: [B, T, K] queries and keys.
        v: [B, T, V] values.
        g: [B, T, K] log forget gate (<= 0).
        scale: output scale, K ** -0.5 when None.
        initial_state: [B, K, V] (any float dtype; computed in float32), zeros when None.

    Returns:
        o: [B, T, V] in v's dtype, final_state: [B, K, V] float32.
    """
    B, T, K = q.shape
    V = v.shape[-1]
    scale = K**-0.5 if scale is None else scale
    qf, kf, vf, gf = (x.float() for x in (q, k, v, g))
    state = q.new_zeros(B, K, V, dtype=torch.float32) if initial_state is None else initial_state.float().clone()
    outputs = []
    for t in range(T):
        state = state * gf[:, t, :, None].exp() + kf[:, t, :, None] * vf[:, t, None, :]
        outputs.append(torch.einsum("bk,bkv->bv", qf[:, t] * scale, state))
    o = torch.stack(outputs, dim=1) if outputs else vf.new_zeros(B, 0, V)
    return o.to(v.dtype), state
