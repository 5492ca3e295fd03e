"""`rodimus-lsp train`: train (or continue training) a Rodimus / Rodimus+ model on the local corpus.

AdamW with linear warmup then cosine decay to ``--min-lr``, gradient clipping, FIM augmentation (models.data),
bf16 autocast on a GPU and fp32 on the CPU. The schedule's progress is the larger of ``step / --steps`` and
``elapsed / --max-minutes``, so a run bounded by wall time on a busy machine still anneals and ends on schedule.

Every ``--save-every`` steps the run folder gets ``model/`` (a loadable model folder in the official layout) and
``train_state.pt`` (optimizer, step, tokens seen, elapsed time, RNG), written atomically; ``--resume`` continues
from them. Metrics go to ``metrics.jsonl``; a progress bar shows loss and tokens/s (plain log lines when stderr is
not a terminal, e.g. under ``nohup``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.checkpoint import load_model, save_model
from models.config import RodimusConfig
from models.data import PackedSampler, heldout_chunks, load_texts, text_tokenizer
from models.rodimus import RodimusForCausalLM
from models.special_tokens import BOS, EOS
from models.tokenizer import Tokenizer
from models.train_options import add_arguments


@dataclass
class TrainState:
    """What resuming needs besides weights and optimizer moments."""

    step: int = 0
    tokens_seen: int = 0
    elapsed_s: float = 0.0
    best_eval_loss: float = math.inf


def lr_at(progress: float, step: int, peak: float, floor: float, warmup_steps: int) -> float:
    """Linear warmup over warmup_steps, then cosine from peak to floor as progress goes 0 -> 1."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = min(max(progress, 0.0), 1.0)
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, object]]:
    """Decay matrices only; norms, biases, embeddings and per-channel vectors are not decayed (as officially)."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if param.ndim < 2 or "embeddings" in name or "norm" in name:
            no_decay.append(param)
        else:
            decay.append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def lm_loss(model: torch.nn.Module, block: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of a [B, T + 1] token block."""
    logits = model(block[:, :-1])
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), block[:, 1:].reshape(-1))


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, chunks: list[list[int]], total_bytes: int, device: torch.device, autocast: bool
) -> dict[str, float]:
    """Held-out loss (nats/token) and bits per byte over whole held-out files."""
    model.eval()
    nll = 0.0
    tokens = 0
    for chunk in chunks:
        block = torch.tensor([chunk], dtype=torch.long, device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            logits = model(block[:, :-1])
        nll += F.cross_entropy(logits.float()[0], block[0, 1:], reduction="sum").item()
        tokens += block.shape[1] - 1
    model.train()
    return {"eval_loss": nll / max(tokens, 1), "eval_bpb": nll / math.log(2) / max(total_bytes, 1)}


def build_config(args: argparse.Namespace, vocab_size: int, bos: int, eos: int) -> RodimusConfig:
    return RodimusConfig(
        d_model=args.d_model,
        n_layer=args.n_layer,
        vocab_size=vocab_size,
        block_type=args.block_type,
        tie_word_embeddings=True,
        max_position_embeddings=args.max_positions,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=None,
        mixer_cfg={"expand_ratio": 2.0, "mem_size": 64, "input_gate_low_rank": "auto", "normalize_epsilon": 1e-5},
        attn_cfg={
            "num_heads": args.heads,
            "num_heads_k": 1,
            "num_heads_v": args.heads,
            "window_size": args.window,
            "rotary_emb_dim": -1,
            "ffn_expand_ratio": 4 / 3,
        },
    )


def _atomic_replace_dir(tmp: Path, final: Path) -> None:
    old = final.with_name(final.name + ".old")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)


def save_run(
    out: Path, model: torch.nn.Module, tokenizer: Tokenizer, optimizer: torch.optim.Optimizer, state: TrainState
) -> None:
    """model/ (loadable folder) and train_state.pt, each replaced atomically."""
    tmp = out / "model.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    save_model(model, tokenizer, tmp)
    _atomic_replace_dir(tmp, out / "model")
    payload = {
        "optimizer": optimizer.state_dict(),
        "state": vars(state),
        "torch_rng": torch.get_rng_state(),
    }
    torch.save(payload, out / "train_state.pt.tmp")
    os.replace(out / "train_state.pt.tmp", out / "train_state.pt")


def load_run(out: Path, optimizer: torch.optim.Optimizer) -> TrainState:
    """Restore optimizer moments and counters saved by save_run (weights are loaded with the model)."""
    payload = torch.load(out / "train_state.pt", map_location="cpu", weights_only=True)
    optimizer.load_state_dict(payload["optimizer"])
    torch.set_rng_state(payload["torch_rng"])
    return TrainState(**payload["state"])


def main(argv: list[str] | None = None) -> int:
    """Entry point without the rodimus-lsp CLI: ``python -m models.train ...``."""
    parser = argparse.ArgumentParser(prog="python -m models.train", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(sys.argv[1:] if argv is None else argv))


def run(args: argparse.Namespace) -> int:
    """Train as args (see models.train_options) say; the summary goes to stdout as JSON with ``--json``."""
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    autocast = device.type == "cuda"
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    text_tok = text_tokenizer(args.tokenizer / "tokenizer.json")
    tokenizer = Tokenizer.from_dir(args.tokenizer)
    if args.resume or args.init:
        model, _ = load_model(args.out / "model" if args.resume else args.init)
    else:
        config = build_config(
            args, text_tok.get_vocab_size(), text_tok.token_to_id(BOS), text_tok.token_to_id(EOS)
        )
        model = RodimusForCausalLM(config)
    model.to(device=device, dtype=torch.float32).train()

    optimizer = torch.optim.AdamW(
        param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95), eps=1e-8,
        fused=device.type == "cuda",
    )
    state = load_run(args.out, optimizer) if args.resume else TrainState()

    sampler = PackedSampler(
        load_texts(args.corpus / "train.jsonl"), text_tok, args.seq_len, args.fim_rate,
        seed=args.seed + state.step,
    )
    eval_chunks, eval_bytes = heldout_chunks(
        load_texts(args.corpus / "heldout.jsonl"), text_tok, args.seq_len, args.eval_tokens
    )
    n_params = sum(p.numel() for p in model.parameters())
    with (args.out / "runs.jsonl").open("a", encoding="utf-8") as runs:  # one line per start or resume
        runs.write(json.dumps({**vars(args), "config": model.config.to_dict(), "params": n_params,
                               "start_step": state.step}, default=str) + "\n")
    print(f"params {n_params:,}  device {device}  threads {torch.get_num_threads()}  "
          f"eval {len(eval_chunks)} chunks / {eval_bytes:,} bytes", file=sys.stderr, flush=True)

    metrics = (args.out / "metrics.jsonl").open("a", encoding="utf-8")
    budget_s = args.max_minutes * 60
    started = time.monotonic() - state.elapsed_s
    bar = tqdm(total=args.steps, initial=state.step, disable=None, dynamic_ncols=True, file=sys.stderr)
    window_tokens, window_start = 0, time.monotonic()
    while state.step < args.steps:
        elapsed = time.monotonic() - started
        if budget_s and elapsed >= budget_s:
            break
        progress = max(state.step / args.steps, elapsed / budget_s if budget_s else 0.0)
        lr = lr_at(progress, state.step, args.lr, args.min_lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        block = sampler.batch(args.batch_size).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            loss = lm_loss(model, block)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip).item()
        optimizer.step()

        state.step += 1
        tokens = block.shape[0] * (block.shape[1] - 1)
        state.tokens_seen += tokens
        window_tokens += tokens
        state.elapsed_s = time.monotonic() - started
        tok_s = window_tokens / max(time.monotonic() - window_start, 1e-9)
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{tok_s:.0f}", lr=f"{lr:.2e}")
        record: dict[str, float] = {}
        if state.step % args.log_every == 0:
            record = {"loss": loss.item(), "lr": lr, "grad_norm": grad_norm, "tok_s": tok_s}
            window_tokens, window_start = 0, time.monotonic()
        if state.step % args.eval_every == 0 or state.step == args.steps:
            record.update(evaluate(model, eval_chunks, eval_bytes, device, autocast))
            state.best_eval_loss = min(state.best_eval_loss, record["eval_loss"])
        if record:
            record.update(step=state.step, tokens=state.tokens_seen, elapsed_s=round(state.elapsed_s, 1))
            metrics.write(json.dumps(record) + "\n")
            metrics.flush()
            if bar.disable:
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()),
                      file=sys.stderr, flush=True)
        if state.step % args.save_every == 0:
            save_run(args.out, model, tokenizer, optimizer, state)
    bar.close()
    final = evaluate(model, eval_chunks, eval_bytes, device, autocast)
    save_run(args.out, model, tokenizer, optimizer, state)
    summary = {**final, "step": state.step, "tokens": state.tokens_seen, "elapsed_s": round(state.elapsed_s, 1)}
    metrics.write(json.dumps({"final": True, **summary}) + "\n")
    metrics.close()
    print(json.dumps(summary), file=sys.stdout if args.json else sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
