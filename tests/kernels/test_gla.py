"""The pure-torch chunked GLA and the single-step update against the per-token float32 reference."""

from __future__ import annotations

import pytest
import torch

from kernels.gla import chunk_gla, chunk_gla_torch, naive_recurrent_gla, recurrent_gla_step


def gla_inputs(B: int, T: int, K: int, V: int, decay: float, seed: int = 0) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(seed)
    q, k = torch.randn(B, T, K, generator=gen), torch.randn(B, T, K, generator=gen)
    v = torch.randn(B, T, V, generator=gen)
    g = -torch.rand(B, T, K, generator=gen) * decay
    return q, k, v, g, torch.randn(B, K, V, generator=gen)


CASES = [
    pytest.param(1, 1, 16, 8, 1.0, id="B1-T1-K16-V8"),
    pytest.param(2, 63, 16, 20, 1.0, id="B2-T63-K16-V20"),
    pytest.param(1, 64, 8, 24, 1.0, id="B1-T64-K8-V24"),
    pytest.param(2, 150, 16, 12, 0.3, id="B2-T150-K16-V12"),
    pytest.param(1, 100, 16, 12, 60.0, id="B1-T100-strong-decay"),
]


@pytest.mark.parametrize("B,T,K,V,decay", CASES)
@pytest.mark.parametrize("with_state", [False, True], ids=["h0-none", "h0"])
def test_chunk_matches_naive(B: int, T: int, K: int, V: int, decay: float, with_state: bool) -> None:
    q, k, v, g, h0 = gla_inputs(B, T, K, V, decay)
    h0 = h0 if with_state else None
    ref_o, ref_h = naive_recurrent_gla(q, k, v, g, scale=0.3, initial_state=h0)
    o, h = chunk_gla_torch(q, k, v, g, scale=0.3, initial_state=h0)
    assert torch.isfinite(o).all()
    torch.testing.assert_close(o, ref_o, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(h, ref_h, atol=1e-4, rtol=1e-4)


def test_step_matches_naive() -> None:
    q, k, v, g, h0 = gla_inputs(2, 9, 16, 12, 1.0)
    ref_o, ref_h = naive_recurrent_gla(q, k, v, g, initial_state=h0)
    state = h0.clone()
    o = torch.stack([recurrent_gla_step(q[:, t], k[:, t], v[:, t], g[:, t], state) for t in range(9)], dim=1)
    torch.testing.assert_close(o, ref_o, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(state, ref_h, atol=1e-5, rtol=1e-5)


def test_split_equals_whole() -> None:
    """T tokens at once equal T1 then T2 tokens with the carried state (per-document sessions rely on it)."""
    q, k, v, g, _ = gla_inputs(1, 90, 16, 12, 1.0)
    o, h = chunk_gla(q, k, v, g)
    o1, h1 = chunk_gla(q[:, :37], k[:, :37], v[:, :37], g[:, :37])
    o2, h2 = chunk_gla(q[:, 37:], k[:, 37:], v[:, 37:], g[:, 37:], initial_state=h1)
    torch.testing.assert_close(torch.cat([o1, o2], dim=1), o, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h2, h, atol=1e-5, rtol=1e-5)


def test_chunk_gradients_match_naive() -> None:
    inputs = gla_inputs(1, 40, 8, 6, 1.0)[:4]
    grads = []
    for fn in (naive_recurrent_gla, chunk_gla_torch):
        leaves = [x.clone().requires_grad_() for x in inputs]
        o, h = fn(*leaves)
        (o.square().sum() + h.sum()).backward()
        grads.append([x.grad for x in leaves])
    for ref, out in zip(*grads):
        torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)


def test_bad_chunk_size() -> None:
    q, k, v, g, _ = gla_inputs(1, 4, 8, 6, 1.0)
    with pytest.raises(ValueError, match="multiple of 16"):
        chunk_gla_torch(q, k, v, g, chunk_size=40)
