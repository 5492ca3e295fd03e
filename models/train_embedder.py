"""Train the search head (models/embedder.py): contrastive InfoNCE, in-batch negatives, frozen backbone.

Pairs are (docstring summary or leading comment -> the definition's code without its docstring), mined with
`ast` from the corpus's train split. Evaluation is split by package, never by function: `--dev-packages` are
left out of training and give the dev MRR@10 that selects the best epoch; the corpus's held-out packages
(heldout_packages.jsonl) are never read here (bench/search.py tests on them).

The backbone stays frozen, so its hidden states are computed once per text and cached (float16, on disk under
the run folder, keyed by the backbone's digest and the text's input ids, so a larger pair set reuses the states
of a smaller one); training then costs only the head, run on the packed real tokens of each batch.

    rodimus-lsp train --mode embedder --backbone models/starter --out runs/starter --export
    python -m models.train_embedder --backbone runs/starter/model --max-pairs 4000 --epochs 5

The head goes to OUT/embedder/ (config.json, model.safetensors, metrics.jsonl); `--export` also copies it into
the backbone folder's embedder/, where `CodeEmbedder.load` finds it.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import logging
import math
import random
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from analysis.localize.bm25 import BM25
from analysis.localize.tokenstore import Documents
from analysis.search.fusion import DEFAULT_FUSION
from analysis.search.terms import search_terms
from models.checkpoint import load_model
from models.embedder import (
    COMPANION_DIR,
    HEAD_DIR,
    CodeEmbedder,
    Companion,
    CompanionView,
    EmbedderConfig,
    EmbeddingKind,
    EmbedderMismatch,
    SearchHead,
    load_head,
    save_companion,
    save_head,
    weights_digest,
)
from models.embedder_options import add_embedder_arguments
from models.starter import default_model_dir

log = logging.getLogger(__name__)

MIN_QUERY_WORDS = 3
_SPACE = re.compile(r"\s+")


# ---- mining pairs ----


@dataclass(frozen=True)
class Pair:
    query: str
    code: str
    package: str
    path: str
    name: str  # qualified name inside the file


def summary(docstring: str) -> str:
    """The first paragraph of a cleaned docstring, on one line."""
    return _SPACE.sub(" ", docstring.strip().split("\n\n", 1)[0]).strip()


def _leading_comment(lines: list[str], first: int) -> str:
    """The block of `#` comment lines right above line index `first` (0-based), on one line."""
    out: list[str] = []
    i = first - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        out.append(lines[i].strip().lstrip("#").strip())
        i -= 1
    return " ".join(reversed(out)).strip()


def _dedent(lines: list[str]) -> str:
    import textwrap

    return textwrap.dedent("\n".join(lines)).strip("\n")


def mine_pairs(text: str, path: str, package: str) -> list[Pair]:
    """(query, code) pairs of one file: every class or function with a docstring summary (else a leading
    comment) of at least MIN_QUERY_WORDS words; the code is its source with decorators and without the docstring."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = text.split("\n")
    out: list[Pair] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                pair = _pair(child, lines, path, package, name)
                if pair is not None:
                    out.append(pair)
                visit(child, name + ".")
            elif not isinstance(child, ast.expr):
                visit(child, prefix)

    visit(tree, "")
    return out


def docstring_edits(root: ast.AST, lines: list[str]) -> dict[int, str | None]:
    """Line edits (0-based line -> replacement, None = drop) that remove the docstring of `root` and of every
    module, class or function inside it; a body left empty gets `...`. A docstring on its definition's own line
    is kept (dropping the line would drop the definition)."""
    edits: dict[int, str | None] = {}
    for node in ast.walk(root):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) or not node.body:
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)) or first.lineno == getattr(node, "lineno", -1):
            continue
        start, end = first.lineno - 1, (first.end_lineno or first.lineno) - 1
        edits.update(dict.fromkeys(range(start, end + 1)))
        if len(node.body) == 1:
            edits[start] = lines[start][: len(lines[start]) - len(lines[start].lstrip())] + "..."
    return edits


def apply_edits(lines: list[str], edits: dict[int, str | None], rows: Iterable[int]) -> list[str]:
    """Lines `rows` of `lines` with `edits` (docstring_edits) applied."""
    out = (edits[i] if i in edits else lines[i] for i in rows)
    return [line for line in out if line is not None]


def _pair(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines: list[str], path: str, package: str,
          name: str) -> Pair | None:
    """The pair of one definition; its code has no docstring at all, nested ones included (as the search
    indexes it in the benchmark, where every docstring is removed)."""
    first = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
    last = node.end_lineno or node.lineno
    docstring = ast.get_docstring(node)
    if docstring is not None:
        if node.body[0].lineno == node.lineno:  # a one-line `def f(): "doc"`: nothing left to match
            return None
        query = summary(docstring)
    else:
        query = _leading_comment(lines, first)
    if len(query.split()) < MIN_QUERY_WORDS:
        return None
    code = _dedent(apply_edits(lines, docstring_edits(node, lines), range(first, last)))
    return Pair(query, code, package, path, name) if code else None


def load_pairs(corpus: Path, split: str = "train") -> Iterator[Pair]:
    """Pairs of every file of `corpus/<split>.jsonl`."""
    with (corpus / f"{split}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            yield from mine_pairs(row["text"], row["path"], row["package"])


def sample_pairs(pairs: Iterable[Pair], max_pairs: int, per_package: int, seed: int) -> list[Pair]:
    """At most `per_package` pairs of each package (big packages would drown the rest), at most `max_pairs` in
    all, duplicates (same query or same code in a package) dropped."""
    by_package: dict[str, list[Pair]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        keys = (pair.package, "q:" + pair.query), (pair.package, "c:" + pair.code)
        if any(key in seen for key in keys):
            continue
        seen.update(keys)
        by_package[pair.package].append(pair)
    rng = random.Random(seed)
    chosen: list[Pair] = []
    for package in sorted(by_package):
        group = by_package[package]
        rng.shuffle(group)
        chosen.extend(group[:per_package])
    rng.shuffle(chosen)
    return chosen[:max_pairs]


def split_pairs(pairs: Sequence[Pair], dev_packages: set[str], max_pairs: int, per_package: int, seed: int,
                train_on_dev: bool = False) -> tuple[list[Pair], list[Pair]]:
    """Training and dev pairs, split by package (never by function): the dev packages' pairs select epochs and
    tune the fusion; with `train_on_dev` they are trained on as well (a final refit)."""
    train = sample_pairs((p for p in pairs if train_on_dev or p.package not in dev_packages), max_pairs,
                         per_package, seed)  # fmt: skip
    dev = sample_pairs((p for p in pairs if p.package in dev_packages), 4000, 4000, seed)
    return train, dev


def hard_negatives(pairs: Sequence[Pair], vectors: tuple[torch.Tensor, torch.Tensor] | None = None) -> list[int]:
    """For each pair, the row of the other pair of its package that the search ranks first for its query, or
    the pair's own row when there is none: the look-alikes the ranking confuses, as hard negatives.

    Without `vectors` the ranking is BM25 alone (the search's own terms), so the embedding learns what BM25
    misses. With `vectors` (query and code embeddings of the pairs by some head, [N, D] each, L2-normalised)
    it is the hybrid ranking of that head (`DEFAULT_FUSION`): a second head trained on these learns what the
    first one's hybrid still gets wrong (`--hard-negatives hybrid`)."""
    by_package: dict[str, list[int]] = defaultdict(list)
    for row, pair in enumerate(pairs):
        by_package[pair.package].append(row)
    negatives = list(range(len(pairs)))
    for rows in by_package.values():
        vocabulary: dict[str, int] = {}
        parts = []
        for row in rows:
            counts = search_terms(pairs[row].code)
            ids = np.array([vocabulary.setdefault(term, len(vocabulary)) for term in counts], dtype=np.int32)
            parts.append((ids, np.array(list(counts.values()), dtype=np.float32)))
        bm25 = BM25(Documents.of(parts), vocabulary)
        codes = None if vectors is None else vectors[1][rows].numpy()
        for i, row in enumerate(rows):
            scores = bm25.scores(dict.fromkeys(search_terms(pairs[row].query), 1.0))
            cosine = None if codes is None else codes @ vectors[0][row].numpy()
            ranked = DEFAULT_FUSION.rank(scores, cosine, 1, exclude=i)
            if ranked:
                negatives[row] = rows[ranked[0][0]]
    return negatives


# ---- cached backbone states ----


class StateCache:
    """Backbone hidden states and token ids of many texts: `states` [N, H] (float16) and `ids` [N] hold the
    tokens of every text back to back; text i is `lengths[i]` rows from `starts[i]`. `keys` name the texts by
    content (`text_key`), so a cache file serves any later pair set that shares texts with it."""

    def __init__(self, states: torch.Tensor, ids: torch.Tensor, starts: torch.Tensor, lengths: torch.Tensor,
                 keys: list[str]) -> None:  # fmt: skip
        self.states, self.ids, self.starts, self.lengths, self.keys = states, ids, starts, lengths, keys

    def __len__(self) -> int:
        return len(self.starts)

    def packed(self, rows: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Float32 states [n, H] and ids [n] of some texts back to back, and their lengths [B]
        (the input of SearchHead.forward_packed)."""
        rows = torch.as_tensor(rows, dtype=torch.long)
        starts, lengths = self.starts[rows], self.lengths[rows]
        shift = starts - (torch.cumsum(lengths, 0) - lengths)  # where each text's tokens sit, minus their place out
        index = torch.repeat_interleave(shift, lengths) + torch.arange(int(lengths.sum()))
        return self.states[index].float(), self.ids[index].long(), lengths

    def select(self, keys: Sequence[str]) -> StateCache:
        """The texts named by `keys`, in that order (sharing this cache's tensors)."""
        where = {key: row for row, key in enumerate(self.keys)}
        rows = torch.tensor([where[key] for key in keys], dtype=torch.long)
        return StateCache(self.states, self.ids, self.starts[rows], self.lengths[rows], list(keys))

    def save(self, path: Path) -> None:
        tensors = {"states": self.states, "ids": self.ids, "starts": self.starts, "lengths": self.lengths}
        save_file(tensors, str(path), metadata={"keys": json.dumps(self.keys)})

    @staticmethod
    def stored_keys(path: Path) -> list[str]:
        """The keys of a saved cache, read from its header alone."""
        with safe_open(str(path), "pt") as handle:
            return json.loads((handle.metadata() or {})["keys"])

    @classmethod
    def load(cls, path: Path) -> StateCache:
        tensors = load_file(str(path))
        return cls(tensors["states"], tensors["ids"], tensors["starts"], tensors["lengths"], cls.stored_keys(path))

    @classmethod
    def concat(cls, caches: Sequence[StateCache]) -> StateCache:
        offsets = [0]
        for cache in caches:
            offsets.append(offsets[-1] + len(cache.states))
        return cls(torch.cat([c.states for c in caches]), torch.cat([c.ids for c in caches]),
                   torch.cat([c.starts + offset for c, offset in zip(caches, offsets)]),
                   torch.cat([c.lengths for c in caches]), [key for c in caches for key in c.keys])  # fmt: skip


def text_key(backbone: str, ids: list[int]) -> str:
    """A text's cache key: the backbone's digest and the text's input ids (formatting included)."""
    return hashlib.sha256(json.dumps([backbone, ids]).encode()).hexdigest()[:20]


def encode_states(embedder: CodeEmbedder, ids: list[list[int]], batch_size: int = 16,
                  deadline: float | None = None) -> StateCache:
    """Backbone states of every id list (batches of similar lengths)."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    parts: dict[int, torch.Tensor] = {}
    started = time.perf_counter()
    for n, start in enumerate(range(0, len(order), batch_size)):
        rows = order[start:start + batch_size]
        states, _, _ = embedder.token_states([ids[i] for i in rows])
        for i, row in enumerate(rows):
            parts[row] = states[i, : len(ids[row])].to(torch.float16)
        if n % 50 == 0:
            log.info("backbone states: %d/%d texts, %.0f s", start + len(rows), len(ids), time.perf_counter() - started)
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeoutError("out of time while computing backbone states")
    lengths = torch.tensor([len(seq) for seq in ids], dtype=torch.long)
    flat_ids = torch.tensor([token for seq in ids for token in seq], dtype=torch.int32)
    keys = [text_key(embedder.config.backbone_digest, seq) for seq in ids]
    return StateCache(torch.cat([parts[i] for i in range(len(ids))]), flat_ids, torch.cumsum(lengths, 0) - lengths,
                      lengths, keys)  # fmt: skip


def cached_states(embedder: CodeEmbedder, texts: list[str], kind: EmbeddingKind, folder: Path,
                  deadline: float | None) -> StateCache:
    """`encode_states` of `texts` with a disk cache by content: the `<kind>-*.safetensors` files of `folder` that
    hold some of the texts are read (the others only for their keys), only the texts none of them holds are
    encoded, and those are added as one more file."""
    seqs = [embedder.input_ids(text, kind) for text in texts]
    keys = [text_key(embedder.config.backbone_digest, seq) for seq in seqs]
    ids = dict(zip(keys, seqs))
    held: set[str] = set()
    shards = []
    for path in sorted(folder.glob(f"{kind}-*.safetensors")):
        stored = StateCache.stored_keys(path)
        if not ids.keys().isdisjoint(stored):
            held.update(stored)
            shards.append(StateCache.load(path))
    missing = [key for key in ids if key not in held]
    if missing:
        fresh = encode_states(embedder, [ids[key] for key in missing], deadline=deadline)
        folder.mkdir(parents=True, exist_ok=True)
        fresh.save(folder / f"{kind}-{hashlib.sha256(''.join(missing).encode()).hexdigest()[:16]}.safetensors")
        shards.append(fresh)
    cache = shards[0] if len(shards) == 1 else StateCache.concat(shards)
    return cache.select(keys)


# ---- training ----


def info_nce(queries: torch.Tensor, codes: torch.Tensor, scale: torch.Tensor,
             hard: torch.Tensor | None = None, hard_is_own: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE: row i of each side is the positive of row i of the other, every other row a negative.

    `hard` [B, D] adds one more negative code per query, seen by every query of the batch; `hard_is_own` [B]
    marks those that are a query's own code (no negative was found for it), which are left out."""
    logits = scale * queries @ codes.T  # [B, B]
    target = torch.arange(len(queries))
    code_side = F.cross_entropy(logits.T, target)
    if hard is not None:
        extra = scale * queries @ hard.T  # [B, B]
        if hard_is_own is not None:
            extra = extra.masked_fill(hard_is_own[None, :], float("-inf"))
        logits = torch.cat([logits, extra], dim=1)
    return (F.cross_entropy(logits, target) + code_side) / 2


def mrr_at_10(queries: torch.Tensor, codes: torch.Tensor) -> float:
    """Mean reciprocal rank (cut at 10) of code i for query i among all codes."""
    scores = queries @ codes.T
    positive = scores.diagonal()[:, None]
    ranks = (scores > positive).sum(1) + 1
    return float(torch.where(ranks <= 10, 1.0 / ranks, torch.zeros_like(ranks, dtype=torch.float)).mean())


def embed_cache(head: SearchHead, cache: StateCache, batch_size: int = 256) -> torch.Tensor:
    rows = list(range(len(cache)))
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            out.append(head.forward_packed(*cache.packed(rows[start:start + batch_size])))
    return torch.cat(out)


def length_batches(cache: StateCache, batch_size: int, rng: random.Random, pool: int = 32) -> list[list[int]]:
    """Shuffled full batches of rows of similar length: rows are shuffled, sorted by length within pools of
    `pool` batches, cut, and the batches shuffled; padding then costs little and negatives stay random."""
    order = list(range(len(cache)))
    rng.shuffle(order)
    lengths = cache.lengths.tolist()
    batches: list[list[int]] = []
    for start in range(0, len(order), batch_size * pool):
        chunk = sorted(order[start:start + batch_size * pool], key=lambda row: lengths[row])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk) - batch_size + 1, batch_size))
    rng.shuffle(batches)
    return batches


@dataclass
class Data:
    train_q: StateCache
    train_c: StateCache
    dev_q: StateCache
    dev_c: StateCache
    negatives: list[int] | None = None  # a hard negative code row per training pair (hard_negatives)


def fit(head: SearchHead | CompanionView, data: Data, epochs: int, batch_size: int, lr: float, seed: int, metrics: Path,
        deadline: float | None, temperature: float = 0.05, keep_last: bool = False,
        ) -> tuple[dict[str, torch.Tensor], float]:
    """Train the head; returns the state of the epoch with the best dev MRR@10 (the starting state included),
    or with `keep_last` the last epoch's, and that state's MRR."""
    torch.manual_seed(seed)
    scale = torch.nn.Parameter(torch.tensor(math.log(1.0 / temperature)))  # learned inverse temperature
    params = [*head.parameters(), scale]
    optimizer = torch.optim.AdamW([{"params": list(head.parameters()), "weight_decay": 0.01},
                                   {"params": [scale], "weight_decay": 0.0}], lr=lr)  # fmt: skip
    steps_per_epoch = max(len(data.train_q) // batch_size, 1)
    total = max(steps_per_epoch * epochs, 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 20) * 0.5 * (1 + math.cos(math.pi * min(s / total, 1.0))))
    rng = random.Random(seed)
    best_state = {k: v.clone() for k, v in head.state_dict().items()}
    best = mrr_at_10(embed_cache(head, data.dev_q), embed_cache(head, data.dev_c))
    log.info("epoch 0: dev MRR@10 %.4f", best)
    with metrics.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"epoch": 0, "dev_mrr10": best}) + "\n")
        for epoch in range(1, epochs + 1):
            head.train()
            losses = []
            for rows in length_batches(data.train_c, batch_size, rng)[:steps_per_epoch]:
                queries = head.forward_packed(*data.train_q.packed(rows))
                if data.negatives is None:
                    codes, hard, own = head.forward_packed(*data.train_c.packed(rows)), None, None
                else:
                    negatives = [data.negatives[row] for row in rows]
                    both = head.forward_packed(*data.train_c.packed(rows + negatives))
                    codes, hard = both[: len(rows)], both[len(rows):]
                    own = torch.tensor([a == b for a, b in zip(rows, negatives)])
                loss = info_nce(queries, codes, scale.exp().clamp(max=100.0), hard, own)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                schedule.step()
                losses.append(loss.item())
            head.eval()
            dev = mrr_at_10(embed_cache(head, data.dev_q), embed_cache(head, data.dev_c))
            row = {"epoch": epoch, "loss": sum(losses) / len(losses), "dev_mrr10": dev,
                   "temperature": 1 / scale.exp().item()}  # fmt: skip
            out.write(json.dumps(row) + "\n")
            out.flush()
            log.info("epoch %d: loss %.4f, dev MRR@10 %.4f", epoch, row["loss"], dev)
            if dev > best or keep_last:
                best, best_state = dev, {k: v.clone() for k, v in head.state_dict().items()}
            if deadline is not None and time.perf_counter() > deadline:
                log.info("time budget reached after epoch %d", epoch)
                break
    return best_state, best


def _head_for(head_dir: Path, backbone_dir: Path) -> tuple[EmbedderConfig, SearchHead]:
    """The head in `head_dir` (without companion), refused if it was trained on other weights than the backbone's."""
    config, head = load_head(head_dir)
    if config.backbone_digest != weights_digest(backbone_dir):
        raise EmbedderMismatch(f"{head_dir} was trained on other weights than {backbone_dir}")
    return config, head


def ranking_vectors(head_dir: Path | None, backbone_dir: Path, data: Data) -> tuple[torch.Tensor, torch.Tensor]:
    """The training pairs' query and code embeddings by the head in `head_dir` (for hybrid hard negatives)."""
    if head_dir is None:
        raise ValueError("--hard-negatives hybrid needs the head whose ranking mines them: --negatives-head, "
                         "--companion-of or --init-head")
    head = _head_for(head_dir, backbone_dir)[1]
    return embed_cache(head, data.train_q), embed_cache(head, data.train_c)


@torch.no_grad()
def companion_from(companion: Companion, head: SearchHead, other: SearchHead) -> None:
    """Start `companion` (of `head`) as the closest it can be to `other`, a whole head trained on its own: the
    other's pooling, and the best delta of the companion's rank between the two token tables (truncated SVD)."""
    if head.tokens is None or other.tokens is None or other.tokens.weight.shape != head.tokens.weight.shape:
        raise ValueError("--init-head for a companion needs a token table shaped like the head's")
    companion.pma.load_state_dict(other.pma.state_dict())
    u, s, vh = torch.linalg.svd(other.tokens.weight - head.tokens.weight, full_matrices=False)
    companion.delta_u.copy_(u[:, : companion.rank] * s[: companion.rank])
    companion.delta_v.copy_(vh[: companion.rank])


# ---- command line ----


def run(args: argparse.Namespace) -> int:
    """Mine pairs, cache backbone states, train the head, save it; prints a summary (JSON with --json)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads or 1)
    started = time.perf_counter()
    deadline = started + args.max_minutes * 60 if args.max_minutes else None
    backbone_dir = Path(args.backbone) if args.backbone else default_model_dir()
    backbone, tokenizer = load_model(backbone_dir)
    if tokenizer is None:
        raise FileNotFoundError(f"{backbone_dir} has no tokenizer.json")
    torch.manual_seed(args.seed)
    if args.companion_of or args.init_head:
        config, head = _head_for(args.companion_of or args.init_head, backbone_dir)
    else:
        config = EmbedderConfig(
            hidden_size=backbone.config.d_model, vocab_size=backbone.config.vocab_size,
            token_dim=args.token_dim if args.token_dim >= 0 else backbone.config.d_model,
            embedding_dim=args.embedding_dim, num_heads=args.pma_heads, max_query_tokens=args.max_query_tokens,
            max_code_tokens=args.max_code_tokens, backbone_digest=weights_digest(backbone_dir),
        )  # fmt: skip
        head = SearchHead(config)
        head.init_tokens(backbone.model.embeddings.weight.detach().float())
    embedder = CodeEmbedder(backbone, tokenizer, head, config)
    trained: SearchHead | CompanionView = head
    if args.companion_of:
        companion = Companion(head, args.companion_rank)
        if args.init_head:
            companion_from(companion, head, _head_for(args.init_head, backbone_dir)[1])
        else:
            torch.nn.init.normal_(companion.delta_u, std=0.02)  # delta_v stays zero: the delta starts at nothing
        trained = CompanionView(head, companion)

    dev_packages = {p.strip() for p in args.dev_packages.split(",") if p.strip()}
    train, dev = split_pairs(list(load_pairs(args.corpus, "train")), dev_packages, args.max_pairs, args.per_package,
                             args.seed, args.train_on_dev)  # fmt: skip
    if len(train) < args.embedder_batch_size or len(dev) < 10:
        raise ValueError(f"too few pairs: {len(train)} for training, {len(dev)} for dev ({args.corpus})")
    log.info("%d training pairs from %d packages, %d dev pairs from %s%s", len(train),
             len({p.package for p in train}), len(dev), sorted({p.package for p in dev}),
             " (trained on too)" if args.train_on_dev else "")  # fmt: skip

    out = Path(args.out) / (COMPANION_DIR if args.companion_of else HEAD_DIR)
    cache = Path(args.out) / "embedder-cache"
    data = Data(
        cached_states(embedder, [p.query for p in train], "query", cache, deadline),
        cached_states(embedder, [p.code for p in train], "code", cache, deadline),
        cached_states(embedder, [p.query for p in dev], "query", cache, deadline),
        cached_states(embedder, [p.code for p in dev], "code", cache, deadline),
    )
    if args.hard_negatives == "bm25":
        data.negatives = hard_negatives(train)
    elif args.hard_negatives == "hybrid":
        ranking = args.negatives_head or args.companion_of or args.init_head
        data.negatives = hard_negatives(train, ranking_vectors(ranking, backbone_dir, data))
    out.mkdir(parents=True, exist_ok=True)
    # a companion's dev MRR is its own, alone; bench/search.py on the dev packages measures the pair
    state, dev_mrr = fit(trained, data, args.epochs, args.embedder_batch_size, args.embedder_lr, args.seed,
                         out / "metrics.jsonl", deadline, args.temperature, args.keep_last or args.train_on_dev)
    trained.load_state_dict(state)
    if args.companion_of:
        save_companion(companion, args.companion_of, out)
    else:
        save_head(head, config, out)
    if args.export:
        target = backbone_dir / HEAD_DIR / (COMPANION_DIR if args.companion_of else "")
        target.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "model.safetensors"):
            shutil.copyfile(out / name, target / name)
    result = {"dev_mrr10": round(dev_mrr, 4), "train_pairs": len(train), "dev_pairs": len(dev),
              "elapsed_s": round(time.perf_counter() - started, 1), "head": str(out)}  # fmt: skip
    print(json.dumps(result) if args.json else
          f"search head -> {out}: dev MRR@10 {dev_mrr:.4f} ({len(train)} training pairs, {len(dev)} dev pairs)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from models.train_options import add_arguments

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    add_embedder_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
