"""Rodimus compute paths on this machine: chunked prefill vs the per-token path, and O(1) decode vs a KV cache.

Usage:
    .venv/bin/python bench/kernels.py [--png bench/out/kernels.png] [--json bench/out/kernels.json]
                                      [--prefill-lengths 512,1024,4096] [--positions 256,1024,4096,16384]

Models (random weights, float32): Rodimus+ and Rodimus with d_model=512, 4 layers, vocab 8192, mem 64, 4 heads,
window_size 512 (each token sees 256 previous); the baseline is a Llama-style Transformer of the same width and
depth (4 heads, MHA, SwiGLU 1536) with a KV cache, measured in the same run.

Table 1, prefill of T tokens from an empty state: ``prefill`` (chunkwise-parallel) against the per-token path
(``step`` T times), which is what a recurrent model without a chunked kernel pays.
Table 2, one decode step at a given position: Rodimus states are reached by a real prefill of that many tokens;
the Transformer's KV cache is filled with random keys/values up to that position (its step cost depends only on
how many tokens are cached; a real 16K-token quadratic prefill would dominate the run). Steps at the different
positions are interleaved and the median is reported, which damps the noise of a shared machine.

Sample output (`--threads 1`, 2 CPU cores shared with ~5 other jobs, load average 5-7: absolute times are
inflated and noisy, the ratios are what to read):
     T |  chunked ms | per-token ms | speedup
   512 |       925.2 |      16528.5 |   17.9x
  4096 |      9343.6 |     148008.0 |   15.8x
       model | position |  step ms | ratio | state MiB
rodimus_plus |      256 |    19.09 |  1.00 |      3.56
rodimus_plus |    16384 |    18.19 |  0.95 |      3.56
 transformer |      256 |    14.89 |  1.00 |      4.64
 transformer |    16384 |    89.16 |  5.99 |    256.64
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.config import RodimusConfig  # noqa: E402
from models.rodimus import RodimusForCausalLM  # noqa: E402
from models.state import RodimusState  # noqa: E402
from models.transformer import KVCache, TransformerConfig, TransformerForCausalLM  # noqa: E402

D_MODEL, N_LAYER, VOCAB, HEADS, WINDOW = 512, 4, 8192, 4, 512


def rodimus_model(block_type: str) -> RodimusForCausalLM:
    torch.manual_seed(0)
    config = RodimusConfig(
        d_model=D_MODEL, n_layer=N_LAYER, vocab_size=VOCAB, block_type=block_type, tie_word_embeddings=True,
        max_position_embeddings=32768,
        mixer_cfg={"expand_ratio": 2.0, "mem_size": 64, "normalize_epsilon": 1e-5},
        attn_cfg={"num_heads": HEADS, "num_heads_k": 1, "num_heads_v": HEADS, "window_size": WINDOW},
    )
    return RodimusForCausalLM(config).eval()


def transformer_model() -> TransformerForCausalLM:
    torch.manual_seed(0)
    config = TransformerConfig(vocab_size=VOCAB, hidden_size=D_MODEL, intermediate_size=1536,
                               num_hidden_layers=N_LAYER, num_attention_heads=HEADS, num_key_value_heads=HEADS,
                               max_position_embeddings=32768, tie_word_embeddings=True)
    return TransformerForCausalLM(config).eval()


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def header() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        commit = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"# {platform.processor() or platform.machine()} | {os.cpu_count()} cpus, torch threads "
            f"{torch.get_num_threads()} | load avg {load:.1f} | torch {torch.__version__} | device cpu | "
            f"commit {commit} | GPU: none (Triton kernels not timed)")


@torch.no_grad()
def bench_prefill(model: RodimusForCausalLM, lengths: list[int]) -> list[dict[str, float]]:
    ids = torch.randint(0, VOCAB, (1, max(lengths)), generator=torch.Generator().manual_seed(0))
    model.prefill(ids[:, :128], model.new_state())  # warm-up
    rows = []
    for T in lengths:
        chunked = min(seconds(lambda: model.prefill(ids[:, :T], model.new_state())) for _ in range(2))
        state = model.new_state()
        per_token = seconds(lambda: [model.step(ids[:, t], state) for t in range(T)])
        rows.append({"T": T, "chunked_ms": 1e3 * chunked, "per_token_ms": 1e3 * per_token,
                     "speedup": per_token / chunked})
    return rows


@torch.no_grad()
def rodimus_states(model: RodimusForCausalLM, positions: list[int]) -> dict[int, RodimusState]:
    """Real prefill up to each position (one pass, snapshots on the way), in 2048-token pieces."""
    ids = torch.randint(0, VOCAB, (1, max(positions)), generator=torch.Generator().manual_seed(1))
    state, states = model.new_state(), {}
    for target in sorted(positions):
        while state.position < target:
            end = min(target, state.position + 2048)
            model.hidden_states(ids[:, state.position:end], state)
        states[target] = state.clone()
    return states


def transformer_caches(model: TransformerForCausalLM, positions: list[int], steps: int) -> dict[int, KVCache]:
    caches = {}
    for p in positions:
        cache = model.new_cache(1, capacity=p + steps + 1)
        for t in (*cache.keys, *cache.values):
            t[:, :p].normal_()
        cache.position = p
        caches[p] = cache
    return caches


@torch.no_grad()
def bench_steps(positions: list[int], steps: int) -> list[dict[str, float | int | str]]:
    runners: dict[str, tuple[Callable[[int], object], Callable[[int], int]]] = {}
    token = torch.tensor([7])
    for block_type in ("rodimus_plus", "rodimus"):
        model = rodimus_model(block_type)
        states = rodimus_states(model, positions)
        runners[block_type] = (lambda p, m=model, s=states: m.step(token, s[p]),
                               lambda p, s=states: s[p].nbytes)
    transformer = transformer_model()
    caches = transformer_caches(transformer, positions, steps)
    runners["transformer"] = (lambda p: transformer.step(token, caches[p]), lambda p: caches[p].nbytes)
    timings: dict[tuple[str, int], list[float]] = {(name, p): [] for name in runners for p in positions}
    for name, (run, _) in runners.items():
        for p in positions:
            run(p)  # warm-up
    for _ in range(steps):
        for name, (run, _) in runners.items():
            for p in positions:
                timings[name, p].append(seconds(lambda: run(p)))
    rows: list[dict[str, float | int | str]] = []
    for name, (_, nbytes) in runners.items():
        for p in positions:
            rows.append({"model": name, "position": p, "step_ms": 1e3 * statistics.median(timings[name, p]),
                         "state_bytes": nbytes(p)})
    return rows


def plot(prefill: list[dict[str, float]], steps: list[dict[str, float | int | str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    T = [r["T"] for r in prefill]
    axes[0].plot(T, [r["chunked_ms"] for r in prefill], "o-", label="rodimus_plus chunked prefill")
    axes[0].plot(T, [r["per_token_ms"] for r in prefill], "s-", label="rodimus_plus per-token (step x T)")
    axes[0].set(xscale="log", yscale="log", xlabel="prompt tokens T", ylabel="ms", title="prefill from empty state")
    for name in ("rodimus_plus", "rodimus", "transformer"):
        rows = [r for r in steps if r["model"] == name]
        pos = [r["position"] for r in rows]
        axes[1].plot(pos, [r["step_ms"] for r in rows], "o-", label=name)
        axes[2].plot(pos, [r["state_bytes"] / 2**20 for r in rows], "o-", label=name)
    axes[1].set(xscale="log", xlabel="position", ylabel="ms per token (median)", title="one decode step")
    axes[2].set(xscale="log", yscale="log", xlabel="position", ylabel="MiB", title="state / KV cache per sequence")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(f"d_model={D_MODEL}, {N_LAYER} layers, float32, CPU ({torch.get_num_threads()} threads)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefill-lengths", default="512,1024,4096")
    parser.add_argument("--positions", default="256,1024,4096,16384")
    parser.add_argument("--steps", type=int, default=40, help="timed decode steps per (model, position)")
    parser.add_argument("--png", type=Path, default=Path(__file__).parent / "out" / "kernels.png")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    lengths = [int(x) for x in args.prefill_lengths.split(",")]
    positions = [int(x) for x in args.positions.split(",")]

    print(header())
    prefill = bench_prefill(rodimus_model("rodimus_plus"), lengths)
    print("\nrodimus_plus prefill from an empty state (baseline: the per-token path, step x T)")
    print(f"{'T':>6} | {'chunked ms':>11} | {'per-token ms':>12} | {'speedup':>7}")
    for r in prefill:
        print(f"{r['T']:>6} | {r['chunked_ms']:>11.1f} | {r['per_token_ms']:>12.1f} | {r['speedup']:>6.1f}x")

    steps = bench_steps(positions, args.steps)
    first = positions[0]
    print(f"\none decode step (median of {args.steps}); ratio = step ms / step ms at position {first}")
    print(f"{'model':>12} | {'position':>8} | {'step ms':>8} | {'ratio':>5} | {'state MiB':>9}")
    base = {r["model"]: r["step_ms"] for r in steps if r["position"] == first}
    for r in steps:
        print(f"{r['model']:>12} | {r['position']:>8} | {r['step_ms']:>8.2f} | "
              f"{r['step_ms'] / base[r['model']]:>5.2f} | {r['state_bytes'] / 2**20:>9.2f}")

    plot(prefill, steps, args.png)
    print(f"\nplot: {args.png}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"header": header(), "prefill": prefill, "steps": steps}, indent=2))


if __name__ == "__main__":
    main()
