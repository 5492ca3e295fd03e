"""`rodimus-lsp train --mode reader`: train the CGM reader on synthetic bugs mined from the corpus.

Stage 1 (a share ``--reconstruction-share`` of the run): subgraph -> code reconstruction, which aligns the node
tokens with code text. Stage 2: issue -> search/replace patch with noisy file sets (models.cgm.reader_data).
AdamW, linear warmup then cosine (the schedule's progress is the larger of step / --steps and the share of
--max-minutes spent), gradient clipping, one sample per forward with --batch-size samples accumulated per step.
The loss is the answer tokens' cross-entropy plus, in stage 2, --rank-weight times ranking losses that train
what decoding asks of the model (models.cgm.decode): the answer against other repair candidates of the shown code,
and its line's head against other lines' heads (softmaxes over sequence log-likelihoods, see `item_loss`). The run
folder keeps train_state.pt (resume with --resume), metrics.jsonl, and reader/ (the exported reader folder, fp16,
LoRA-free weights). Held-out evaluation is the fix rate on --eval-samples held-out bugs (models.cgm.fix_rate).

The LLM is trained fully (it starts from random weights, so LoRA would only slow it down); when the widths match
(the starter's d_model is 192) its token table is the backbone's, shared and frozen (--share-token-table, the
default: the exported reader then holds only its layers and the adapter, a third of the size), or a trained copy.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.cgm.checkpoint import save_reader
from models.cgm.config import CGMConfig
from models.cgm.decode import mean_logprobs, per_token
from models.cgm.encoder import NodeEncoder
from models.cgm.fix_rate import fix_rate
from models.cgm.items import Item, ItemBuilder, Rivals
from models.cgm.model import CGMForCausalLM
from models.tokenizer import TOKENIZER_FILES, Tokenizer
from models.transformer import TransformerConfig

log = logging.getLogger(__name__)
STARTER = Path(__file__).resolve().parent.parent / "starter"
BACKBONE_TABLE = "model.embeddings.weight"


def lr_at(progress: float, step: int, peak: float, floor: float, warmup_steps: int) -> float:
    """Linear warmup over warmup_steps, then cosine from peak to floor as progress goes 0 -> 1."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = min(max(progress, 0.0), 1.0)
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))


def optimizer_for(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with CGM's betas; matrices decay, vectors (norms, biases) and the token table do not."""
    decay, keep = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (keep if param.ndim < 2 or "embed_tokens" in name else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95))


def _ranking_loss(logprobs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of a softmax over sequence log-likelihoods whose first entry is the right one."""
    return F.cross_entropy(logprobs[None], torch.zeros(1, dtype=torch.long, device=logprobs.device))


def item_loss(model: CGMForCausalLM, item: Item, rank_weight: float = 0.0) -> torch.Tensor:
    """The answer tokens' mean cross-entropy, plus ``rank_weight`` times the ranking losses when the item has
    rivals, scored as decoding scores them (models.cgm.decode): other lines' heads by mean log-likelihood (the
    line choice), other edits of the answer's line by total log-likelihood (the edit choice), and, as an auxiliary
    signal that ties an edit to its line, edits of other lines by mean log-likelihood."""
    if rank_weight == 0.0 or not (item.line_rivals or item.other_rivals or item.rival_heads):
        return model.loss(item.vectors, item.owner, item.edges, item.prompt, item.answer)
    prefix = model.prefix(item.vectors, item.owner, item.edges, item.prompt)
    answers = [item.answer, *item.line_rivals, *item.other_rivals]
    totals = model.continuation_logprobs(prefix, answers)
    means = per_token(totals, answers)
    loss = -means[0]
    same_line = 1 + len(item.line_rivals)
    if item.line_rivals:
        loss = loss + rank_weight * _ranking_loss(totals[:same_line])
    if item.other_rivals:
        loss = loss + rank_weight * _ranking_loss(torch.cat([means[:1], means[same_line:]]))
    if item.rival_heads:
        loss = loss + rank_weight * _ranking_loss(mean_logprobs(model, prefix, [item.head, *item.rival_heads]))
    return loss


def train_step(model: CGMForCausalLM, optimizer: torch.optim.Optimizer, items: Sequence[Item], clip: float,
               rank_weight: float = 0.0) -> float:
    """One optimizer step over ``items`` (gradients averaged); returns the mean loss."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for item in items:
        loss = item_loss(model, item, rank_weight) / len(items)
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total


def reader_config(args: argparse.Namespace, vocab_size: int, encoder: NodeEncoder | None,
                  encoder_dir: str, fingerprint: str, token_table: str = "") -> CGMConfig:
    llm = TransformerConfig(
        vocab_size=vocab_size, hidden_size=args.d_model, intermediate_size=args.intermediate,
        num_hidden_layers=args.n_layer, num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
        max_position_embeddings=4096, attention_bias=True, tie_word_embeddings=True,
        extra={"bos_token_id": 0, "eos_token_id": 1},
    )  # fmt: skip
    return CGMConfig(llm=llm, embedding_dim=encoder.dim if encoder else 256, adapter_hidden_dim=args.adapter_hidden,
                     max_nodes=args.max_nodes, max_segments_per_node=2, encoder=encoder_dir if encoder else "",
                     encoder_fingerprint=fingerprint if encoder else "", max_prompt_tokens=args.max_prompt_tokens,
                     max_answer_tokens=args.max_answer_tokens, token_table=token_table)  # fmt: skip


def _encoder(backbone: Path) -> tuple[NodeEncoder | None, str]:
    from models.embedder import CodeEmbedder

    try:
        embedder = CodeEmbedder.load(backbone, companion=False)  # the head alone, as the reader loads it
    except (FileNotFoundError, ValueError) as error:
        log.warning("no node encoder (%s): the reader is trained on text alone", error)
        return None, ""
    return NodeEncoder(embedder, 512, 2), embedder.fingerprint


def _backbone_table(backbone: Path, vocab_size: int, width: int) -> torch.Tensor | None:
    """The backbone's token table when the reader's LLM has its shape (the starter's d_model is 192)."""
    from models.checkpoint import read_safetensors

    table = read_safetensors(backbone).get(BACKBONE_TABLE)
    return table if table is not None and tuple(table.shape) == (vocab_size, width) else None


def run(args: argparse.Namespace) -> int:
    from models.cgm.reader_data import build_fix_samples, build_reconstruction_samples

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    backbone = args.backbone or STARTER
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer.from_dir(backbone)
    encoder, fingerprint = _encoder(backbone)
    reader_dir = out / "reader"
    encoder_dir = str(Path(backbone).resolve())  # the exported copy names it relatively ("..")
    table = _backbone_table(backbone, tokenizer.vocab_size, args.d_model)
    shared = f"{(Path(backbone) / 'model.safetensors').resolve()}:{BACKBONE_TABLE}" \
        if table is not None and args.share_token_table else ""
    config = reader_config(args, tokenizer.vocab_size, encoder, encoder_dir, fingerprint, shared)
    model = CGMForCausalLM(config)
    if table is not None:
        with torch.no_grad():
            model.lm.model.embed_tokens.weight.copy_(table.float())
        log.info("token embeddings %s from %s", "shared (frozen)" if shared else "initialised", backbone)
    if shared:
        model.lm.model.embed_tokens.weight.requires_grad_(False)
    optimizer = optimizer_for(model, args.lr, args.weight_decay)
    state = {"step": 0, "elapsed_s": 0.0, "best_fix_rate": -1.0, "encoder_fingerprint": fingerprint}
    state_path = out / "train_state.pt"
    if args.resume:
        saved = torch.load(state_path, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        if state.get("encoder_fingerprint") != fingerprint:
            # another search head than the run started with: its node vectors are new to the adapter, and fix
            # rates measured with the old ones do not compare, so the best reader is chosen afresh
            log.warning("resuming with another node encoder than %s was trained with", state_path)
            state.update(best_fix_rate=-1.0, encoder_fingerprint=fingerprint)
    builder = ItemBuilder(config, tokenizer, encoder)
    rivals = Rivals(heads=args.rival_heads)
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"reader: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters ({trained / 1e6:.2f}M "
          "trained); building samples", file=sys.stderr)
    reconstruction = build_reconstruction_samples(args.corpus, "train", args.reconstruction_samples, args.seed)
    fixes = build_fix_samples(args.corpus, "train", args.reader_samples, args.seed, True,
                              bugs_per_file=args.bugs_per_file)
    heldout = build_fix_samples(args.corpus, "heldout", args.eval_samples, args.seed + 1, False)
    print(f"{len(reconstruction)} reconstruction, {len(fixes)} fix, {len(heldout)} held-out samples",
          file=sys.stderr)
    rng = random.Random(args.seed + state["step"])
    budget_s = args.max_minutes * 60
    started = time.monotonic() - state["elapsed_s"]
    metrics = (out / "metrics.jsonl").open("a", encoding="utf-8")
    bar = tqdm(total=args.steps, initial=state["step"], disable=None, dynamic_ncols=True, file=sys.stderr)

    def progress() -> float:
        by_time = (time.monotonic() - started) / budget_s if budget_s else 0.0
        return max(state["step"] / args.steps, by_time)

    def evaluate_and_save() -> None:
        model.eval()
        rate, answers = fix_rate(model, builder, heldout)
        record = {"step": state["step"], "fix_rate": rate, "elapsed_s": round(time.monotonic() - started, 1),
                  "sample_answer": answers[0] if answers else ""}
        metrics.write(json.dumps(record) + "\n")
        metrics.flush()
        bar.write(f"step {state['step']}: held-out fix rate {rate:.1%} ({len(heldout)} bugs)")
        state["elapsed_s"] = time.monotonic() - started
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, state_path)
        if rate >= state["best_fix_rate"]:
            state["best_fix_rate"] = rate
            save_reader(model, tokenizer, reader_dir)
        model.train()

    while progress() < 1.0:
        stage = 1 if progress() < args.reconstruction_share and reconstruction else 2
        pool = reconstruction if stage == 1 else fixes
        items = [builder.reconstruction(s) if stage == 1 else
                 builder.fix(s, rivals, rng, with_nodes=rng.random() >= args.node_dropout)
                 for s in rng.sample(pool, min(args.batch_size, len(pool)))]
        lr = lr_at(progress(), state["step"], args.lr, args.min_lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = train_step(model, optimizer, items, args.clip, args.rank_weight)
        state["step"] += 1
        bar.update(1)
        bar.set_postfix(stage=stage, loss=f"{loss:.3f}", lr=f"{lr:.1e}")
        if state["step"] % args.log_every == 0:
            metrics.write(json.dumps({"step": state["step"], "stage": stage, "loss": round(loss, 4), "lr": lr,
                                      "elapsed_s": round(time.monotonic() - started, 1)}) + "\n")
            metrics.flush()
        if state["step"] % args.eval_every == 0:
            evaluate_and_save()
    evaluate_and_save()
    bar.close()
    if args.export:
        target = Path(backbone) / "reader"
        exported = json.loads((reader_dir / "config.json").read_text(encoding="utf-8"))
        exported["encoder"] = ".." if exported["encoder"] else ""
        exported["token_table"] = f"../model.safetensors:{BACKBONE_TABLE}" if exported["token_table"] else ""
        shutil.rmtree(target, ignore_errors=True)
        # with the backbone's token table goes its vocabulary: load_reader reads its tokenizer from there
        shutil.copytree(reader_dir, target,
                        ignore=shutil.ignore_patterns(*TOKENIZER_FILES) if exported["token_table"] else None)
        (target / "config.json").write_text(json.dumps(exported, indent=2) + "\n", encoding="utf-8")
        print(f"exported the reader to {target}", file=sys.stderr)
    summary = {"best_fix_rate": state["best_fix_rate"], "step": state["step"], "elapsed_s": state["elapsed_s"]}
    print(json.dumps(summary) if args.json else f"done: {summary}")
    return 0
