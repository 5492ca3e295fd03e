"""Chunkwise-parallel gated linear attention in pure torch: the CPU fast path, differentiable, and a second reference.

Same recurrence as ``naive.naive_recurrent_gla``. The sequence is cut into chunks of ``chunk_size`` tokens; inside a
chunk, with b_t the cumulative log decay since the chunk start (b is non-increasing because g <= 0):

    intra:  o_t  = sum_{s<=t} (q_t . (k_s * exp(b_t - b_s))) v_s
    inter:  o_t += (q_t * exp(b_t))^T S_prev
    state:  S_next = diag(exp(b_C)) S_prev + sum_s (k_s * exp(b_C - b_s)) v_s^T

Every exponent above is <= 0, so nothing overflows however strong the decay. The intra-chunk scores would need
exp(b_t - b_s) for each (t, s, k); to keep that cheap the chunk is split into sub-chunks of 16: pairs of different
sub-chunks are factored through the end of the key's sub-chunk (two exponents, both <= 0, then one matmul), and
only the 16 x 16 diagonal blocks are computed element by element.
"""

from __future__ import annotations

import torch

SUB_CHUNK = 16


def chunk_gla_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    scale: float | None = None,
    initial_state: torch.Tensor | None = None,
    chunk_size: int = 64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Args:
        q, k: [B, T, K]; v: [B, T, V]; g: [B, T, K] log forget gate (<= 0).
        scale: output scale, K ** -0.5 when None.
        initial_state: [B, K, V], zeros when None.
        chunk_size: a multiple of 16.

    Returns:
        o: [B, T, V] in v's dtype, final_state: [B, K, V] float32.
    """
    if chunk_size % SUB_CHUNK:
        raise ValueError(f"chunk_size must be a multiple of {SUB_CHUNK}, got {chunk_size}")
    B, T, K = q.shape
    V = v.shape[-1]
    scale = K**-0.5 if scale is None else scale
    state = q.new_zeros(B, K, V, dtype=torch.float32) if initial_state is None else initial_state.float()
    if T == 0:
        return v.new_zeros(B, 0, V), state.clone()

    C = min(chunk_size, -(-T // SUB_CHUNK) * SUB_CHUNK)
    pad = -T % C
    N, n, c = (T + pad) // C, C // SUB_CHUNK, SUB_CHUNK

    def chunks(x: torch.Tensor) -> torch.Tensor:
        # zero padding is neutral: g = 0 keeps the state, k = v = 0 adds nothing
        x = torch.nn.functional.pad(x.float(), (0, 0, 0, pad))
        return x.view(B, N, C, x.shape[-1])

    q, k, v, g = chunks(q) * scale, chunks(k), chunks(v), chunks(g)
    b = g.cumsum(dim=2)  # [B, N, C, K]

    # intra-chunk scores A[t, s], built from n x n blocks of c x c
    qs, ks, bs = (x.view(B, N, n, c, K) for x in (q, k, b))
    b_end = bs[:, :, :, -1]  # [B, N, n, K] decay at each sub-chunk's end
    k_to_end = ks * (b_end[:, :, :, None] - bs).exp()  # [B, N, n(j), c, K]
    q_from_end = qs[:, :, :, None] * (bs[:, :, :, None] - b_end[:, :, None, :, None]).clamp(max=0).exp()
    a_off = torch.einsum("bnijtk,bnjsk->bnijts", q_from_end, k_to_end)  # [B, N, n, n, c, c]
    diff = (bs[:, :, :, :, None] - bs[:, :, :, None, :]).clamp(max=0)  # [B, N, n, c(t), c(s), K]
    a_diag = (qs[:, :, :, :, None] * ks[:, :, :, None] * diff.exp()).sum(-1)  # [B, N, n, c, c]

    causal_tokens = torch.ones(c, c, dtype=torch.bool, device=q.device).tril()
    earlier_blocks = torch.ones(n, n, dtype=torch.bool, device=q.device).tril(-1)
    eye = torch.eye(n, dtype=torch.bool, device=q.device)
    a_blocks = torch.where(earlier_blocks[:, :, None, None], a_off, 0.0)
    a_blocks = a_blocks + torch.where(eye[:, :, None, None] & causal_tokens, a_diag[:, :, :, None], 0.0)
    scores = a_blocks.permute(0, 1, 2, 4, 3, 5).reshape(B, N, C, C)
    o = scores @ v  # [B, N, C, V]

    # inter-chunk: a sequential scan over chunk states
    chunk_decay = b[:, :, -1].exp()  # [B, N, K]
    k_to_chunk_end = k * (b[:, :, -1:] - b).exp()  # [B, N, C, K]
    updates = k_to_chunk_end.transpose(-1, -2) @ v  # [B, N, K, V]
    starts = []
    for i in range(N):
        starts.append(state)
        state = chunk_decay[:, i, :, None] * state + updates[:, i]
    o = o + (q * b.exp()) @ torch.stack(starts, dim=1)  # [B, N, C, V]
    return o.reshape(B, N * C, V)[:, :T].to(v.dtype), state


def recurrent_gla_step_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    state: torch.Tensor,
    scale: float | None = None,
) -> torch.Tensor:
    """One token: updates ``state`` [B, K, V] (float32) in place and returns o [B, V] in v's dtype.

    q, k, g: [B, K]; v: [B, V].
    """
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    state.mul_(g.float().exp()[:, :, None]).baddbmm_(k.float()[:, :, None], v.float()[:, None, :])
    return torch.bmm(q.float()[:, None, :] * scale, state).squeeze(1).to(v.dtype)
