"""Runs the Triton GLA kernels against the per-token reference and prints the max abs errors as JSON.

Meant to run in its own process with TRITON_INTERPRET=1 in the environment (``test_gla_triton.py`` does that):
``triton.jit`` chooses the interpreter when a function is decorated, including Triton's own library functions,
so the variable must be set before triton is first imported.
"""

from __future__ import annotations

import json
import os

import torch

from kernels.gla.naive import naive_recurrent_gla
from kernels.gla.triton_chunk import chunk_gla_triton
from kernels.gla.triton_step import recurrent_gla_step_triton

# id -> (B, T, K, V, decay): T not a multiple of the chunk, K and V not powers of two, strong decay
CHUNK_CASES = {
    "B1-T5-K16-V16": (1, 5, 16, 16, 1.0),
    "B2-T37-K8-V20": (2, 37, 8, 20, 1.0),
    "B1-T48-K16-V70-strong-decay": (1, 48, 16, 70, 40.0),
}


def gla_inputs(B: int, T: int, K: int, V: int, decay: float) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(T)
    q, k = torch.randn(B, T, K, generator=gen), torch.randn(B, T, K, generator=gen)
    v = torch.randn(B, T, V, generator=gen)
    return q, k, v, -torch.rand(B, T, K, generator=gen) * decay, torch.randn(B, K, V, generator=gen)


def max_errors(out: tuple[torch.Tensor, torch.Tensor], ref: tuple[torch.Tensor, torch.Tensor]) -> list[float]:
    return [(a - b).abs().max().item() for a, b in zip(out, ref)]


def main() -> None:
    if os.environ.get("TRITON_INTERPRET") != "1":
        raise SystemExit("run with TRITON_INTERPRET=1")
    results: dict[str, list[float]] = {}
    for name, (B, T, K, V, decay) in CHUNK_CASES.items():
        q, k, v, g, h0 = gla_inputs(B, T, K, V, decay)
        for h0_name, initial_state in (("h0-none", None), ("h0", h0)):
            ref = naive_recurrent_gla(q, k, v, g, scale=0.25, initial_state=initial_state)
            out = chunk_gla_triton(q, k, v, g, scale=0.25, initial_state=initial_state)
            results[f"chunk-{name}-{h0_name}"] = max_errors(out, ref)
    q, k, v, g, h0 = gla_inputs(2, 4, 8, 20, 1.0)
    ref = naive_recurrent_gla(q, k, v, g, initial_state=h0)
    state = h0.clone()
    o = torch.stack([recurrent_gla_step_triton(q[:, t], k[:, t], v[:, t], g[:, t], state) for t in range(4)], dim=1)
    results["step-B2-T4-K8-V20"] = max_errors((o, state), ref)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
