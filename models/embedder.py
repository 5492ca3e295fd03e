"""A CGE-style code embedder: a Rodimus backbone, a PMA pooling head, L2 normalisation (research/cgm_cge.md 3).

The backbone's last hidden states (after the final norm) are pooled by PMA, "pooling by multi-head attention"
from the Set Transformer as CodeFuse-CGE uses it: one learned seed vector attends to the token states (padding
masked), then a residual, LayerNorm, a ReLU feed-forward with residual, LayerNorm, and the vector is L2-normalised,
so similarity is a dot product.

Inputs follow CGE's formats (3.3): no BOS or EOS, right padding, the text truncated on the right, and an
instruction *appended after* the text (the causal backbone lets those last tokens read the content):
``"Retrieve the Python code that solves the following query:"`` for queries, ``"Python code:"`` for code.

Measured deviation from CGE (bench/search.py, dev packages): with the small starter backbone frozen, its last
hidden states alone pool into near-random vectors (dev MRR@10 about 0.01 after training). So each position's
feature is the last hidden state *concatenated with the token's embedding from a copy of the backbone's input
embedding table* that is adapted during the head's training (a light adaptation of the backbone's first layer,
shipped with the head; the language model keeps its own table). `token_dim = 0` gives plain CGE pooling.

The head lives in its own folder (``<model>/embedder/``: config.json + model.safetensors). Its config records a
digest of the backbone weights it was trained on; a head is refused on another backbone, since its projections
only mean something for the hidden states it saw in training.

A head may have a *companion* (``<model>/embedder/companion/``, `Companion`): a second PMA over the same hidden
states, reading the head's token table shifted by a low-rank delta, so it costs a tenth of the head's bytes
(`train --mode embedder --companion-of`). With it, `embed` returns both vectors side by side, each scaled by
1/sqrt(2), so a dot product is the mean of the two cosines: a two-member ensemble for one backbone pass. Its
config records the digest of the head's weights, and it is refused beside another head. Consumers bound to the
head alone (the CGM reader's encoder, trained on its vectors) load without it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from models.checkpoint import load_model
from models.rodimus import RodimusForCausalLM
from models.tokenizer import Tokenizer

EmbeddingKind = Literal["query", "code"]
HEAD_DIR = "embedder"
COMPANION_DIR = "companion"  # inside a head folder

# CGE's instruction pairs per language (research/cgm_cge.md 3.3); "default" when the language has no entry.
INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "python": ("Python", "Python"),
    "java": ("Java", "Java"),
    "go": ("Go", "Go"),
    "c++": ("C++", "C++"),
    "javascript": ("Javascript", "Javascript"),
    "php": ("PHP", "PHP"),
    "ruby": ("Ruby", "Ruby"),
}


def instruction(kind: EmbeddingKind, language: str) -> str:
    """The text CGE appends after a query or a code passage."""
    name = INSTRUCTIONS.get(language, ("", ""))[0]
    if kind == "query":
        return f"Retrieve the {name} code that solves the following query:".replace("  ", " ")
    return f"{name} code:".strip()


class EmbedderMismatch(ValueError):
    """The head was trained on other backbone weights than the ones it is being loaded with."""


@dataclass(frozen=True)
class EmbedderConfig:
    """The head's config.json."""

    hidden_size: int  # the backbone's d_model
    vocab_size: int = 0  # rows of the head's adapted token table (the backbone's vocabulary)
    token_dim: int = 0  # width of the adapted token table; 0 = pool the hidden states alone
    embedding_dim: int = 256
    num_heads: int = 8
    max_query_tokens: int = 64
    max_code_tokens: int = 256
    language: str = "python"
    backbone_digest: str = ""  # sha256 of the backbone's model.safetensors ("" = not checked)

    def __post_init__(self) -> None:
        if self.embedding_dim % self.num_heads:
            raise ValueError(f"embedding_dim {self.embedding_dim} is not a multiple of num_heads {self.num_heads}")

    @classmethod
    def from_json_file(cls, path: str | Path) -> EmbedderConfig:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {"model_type": "rodimus-cge-head", "pooling": "pma", **dataclasses.asdict(self)}


class PMAPooling(nn.Module):
    """One learned seed attends over token states [B, T, H] -> one L2-normalised vector [B, D] per sequence."""

    def __init__(self, hidden_size: int, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.seed = nn.Parameter(torch.empty(1, 1, dim))
        self.fc_q = nn.Linear(dim, dim)
        self.fc_k = nn.Linear(hidden_size, dim)
        self.fc_v = nn.Linear(hidden_size, dim)
        self.ln0 = nn.LayerNorm(dim)
        self.fc_o = nn.Linear(dim, dim)
        self.ln1 = nn.LayerNorm(dim)
        nn.init.xavier_uniform_(self.seed)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """states [B, T, H], mask [B, T] (True = a real token) -> [B, D] with unit norm."""
        return self.pool(self.fc_k(states), self.fc_v(states), mask)

    def forward_packed(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The same vectors from sequences packed back to back: states [sum(lengths), H], lengths [B] -> [B, D].

        The key and value projections, the costly part, then run on real tokens only, whatever the padding."""
        B, T, D, device = len(lengths), int(lengths.max()), self.seed.shape[-1], states.device
        lengths = lengths.to(device)
        row = torch.repeat_interleave(torch.arange(B, device=device), lengths)
        col = torch.arange(len(row), device=device) - torch.repeat_interleave(torch.cumsum(lengths, 0) - lengths,
                                                                              lengths)  # fmt: skip
        k = states.new_zeros(B, T, D).index_put((row, col), self.fc_k(states))
        v = states.new_zeros(B, T, D).index_put((row, col), self.fc_v(states))
        mask = torch.zeros(B, T, dtype=torch.bool, device=device)
        mask[row, col] = True
        return self.pool(k, v, mask)

    def pool(self, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Projected keys and values [B, T, D] and mask [B, T] -> [B, D] unit vectors."""
        B = k.shape[0]
        D, h = self.seed.shape[-1], self.num_heads
        q = self.fc_q(self.seed).expand(B, 1, D)  # [B, 1, D]

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(B, -1, h, D // h).transpose(1, 2)  # [B, h, *, D/h]

        scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(D)  # [B, h, 1, T]; Set Transformer's sqrt(D)
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
        attended = torch.softmax(scores, dim=-1) @ split(v)  # [B, h, 1, D/h]
        o = self.ln0(q + attended.transpose(1, 2).reshape(B, 1, D))
        o = self.ln1(o + F.relu(self.fc_o(o)))
        return F.normalize(o.squeeze(1), dim=-1)


class Companion(nn.Module):
    """A second pooling over a head's features, where the head's token table is shifted by a low-rank delta
    (`delta_u @ delta_v`, rank `rank`): an ensemble member that reads the tokens its own way for 1/10 of the
    head's bytes (the table is 95 % of them)."""

    def __init__(self, head: SearchHead, rank: int) -> None:
        super().__init__()
        if head.tokens is None:
            raise ValueError("a companion needs a head with a token table (token_dim > 0)")
        self.pma = head.new_pooling()
        self.delta_u = nn.Parameter(torch.zeros(head.tokens.num_embeddings, rank))
        self.delta_v = nn.Parameter(torch.zeros(rank, head.tokens.embedding_dim))

    @property
    def rank(self) -> int:
        return self.delta_v.shape[0]

    def features(self, states: torch.Tensor, rows: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """The head's features with its token rows `rows` (for `ids`) shifted by this companion's delta."""
        return torch.cat([states, rows + (self.delta_u[ids] @ self.delta_v).to(rows.dtype)], dim=-1)


class SearchHead(nn.Module):
    """PMA over per-position features: the backbone's last hidden state, and (if `token_dim`) the token's row of
    an adapted copy of the backbone's input embedding table. With companions (`attach_companion`), the vector is
    the concatenation of every pooling's unit vector, scaled to unit norm."""

    def __init__(self, config: EmbedderConfig) -> None:
        super().__init__()
        self.tokens = nn.Embedding(config.vocab_size, config.token_dim) if config.token_dim else None
        self.pma = PMAPooling(config.hidden_size + config.token_dim, config.embedding_dim, config.num_heads)
        self.companions = nn.ModuleList()

    @property
    def dim(self) -> int:
        return self.pma.seed.shape[-1] * (1 + len(self.companions))

    def new_pooling(self) -> PMAPooling:
        """A fresh pooling shaped like this head's own."""
        return PMAPooling(self.pma.fc_k.in_features, self.pma.seed.shape[-1], self.pma.num_heads)

    @torch.no_grad()
    def init_tokens(self, embeddings: torch.Tensor) -> None:
        """Start the token table from the backbone's input embeddings, scaled to unit standard deviation."""
        if self.tokens is not None:
            self.tokens.weight.copy_(embeddings[:, : self.tokens.embedding_dim] / embeddings.std().clamp(min=1e-6))

    def forward(self, states: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """states [B, T, H], ids [B, T], mask [B, T] -> [B, D] unit vectors."""
        return _joined([pool(features, mask) for pool, features in self._poolings(states, ids)])

    def forward_packed(self, states: torch.Tensor, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The same vectors from packed sequences: states [N, H], ids [N], lengths [B] (summing to N) -> [B, D]."""
        return _joined([pool.forward_packed(features, lengths) for pool, features in self._poolings(states, ids)])

    def token_rows(self, ids: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """The rows of the head's adapted token table for `ids` (the head must have one)."""
        assert self.tokens is not None
        return self.tokens(ids).to(dtype)

    def _poolings(self, states: torch.Tensor, ids: torch.Tensor) -> list[tuple[PMAPooling, torch.Tensor]]:
        """Each pooling with the features it reads: the head's own, then each companion's."""
        if self.tokens is None:
            return [(self.pma, states)]
        rows = self.token_rows(ids, states.dtype)
        own = [(self.pma, torch.cat([states, rows], dim=-1))]
        return own + [(c.pma, c.features(states, rows, ids)) for c in self.companions]


class CompanionView(nn.Module):
    """A head with one companion, embedding with the companion alone: what `train --mode embedder
    --companion-of` trains (the head is frozen)."""

    def __init__(self, head: SearchHead, companion: Companion) -> None:
        super().__init__()
        self.head = head.requires_grad_(False)
        self.companion = companion

    def forward_packed(self, states: torch.Tensor, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        rows = self.head.token_rows(ids, states.dtype)
        return self.companion.pma.forward_packed(self.companion.features(states, rows, ids), lengths)


def _joined(vectors: list[torch.Tensor]) -> torch.Tensor:
    """Unit vectors of the poolings, side by side and scaled so that the result has unit norm."""
    return vectors[0] if len(vectors) == 1 else torch.cat(vectors, dim=-1) / math.sqrt(len(vectors))


def weights_digest(folder: str | Path) -> str:
    """sha256 of a folder's weights (model.safetensors, or its shard index): a backbone's, or a search head's."""
    folder = Path(folder)
    weights = folder / "model.safetensors"
    if not weights.is_file():
        weights = folder / "model.safetensors.index.json"
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CodeEmbedder:
    """Backbone + PMA head. `embed` implements analysis.localize.embedding.Embedder.

    The backbone is frozen; `token_states` exposes its output so training can cache it.
    """

    def __init__(self, backbone: RodimusForCausalLM, tokenizer: Tokenizer, head: SearchHead,
                 config: EmbedderConfig) -> None:
        if config.hidden_size != backbone.config.d_model:
            raise EmbedderMismatch(f"head expects hidden size {config.hidden_size}, "
                                   f"backbone has {backbone.config.d_model}")  # fmt: skip
        self.backbone = backbone.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.head = head.eval()
        self.config = config
        self._suffix: dict[tuple[str, str], list[int]] = {}

    @property
    def dim(self) -> int:
        return self.head.dim

    @property
    def fingerprint(self) -> str:
        """Changes whenever embeddings could: head weights, backbone, config (for vector caches)."""
        digest = hashlib.sha256(json.dumps(self.config.to_dict(), sort_keys=True).encode())
        for name, tensor in sorted(self.head.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().to(torch.float32).cpu().numpy().tobytes())
        return digest.hexdigest()[:24]

    # ---- inputs ----

    def input_ids(self, text: str, kind: EmbeddingKind, language: str | None = None) -> list[int]:
        """CGE format: the text's tokens, truncated so the appended instruction always fits."""
        language = language or self.config.language
        suffix = self._suffix.get((kind, language))
        if suffix is None:
            suffix = self._suffix[(kind, language)] = self.tokenizer.encode("\n" + instruction(kind, language))
        limit = self.config.max_query_tokens if kind == "query" else self.config.max_code_tokens
        # a long text is cut by characters first, so tokenizing a 1 MB string costs nothing
        ids = self.tokenizer.encode(text[: limit * 12])[: max(limit - len(suffix), 1)]
        return ids + suffix

    def token_states(self, batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Id lists -> right-padded (backbone hidden states [B, T, H], ids [B, T], mask [B, T])."""
        device = self.backbone.lm_head.weight.device
        ids, mask = pad(batch)
        ids, mask = ids.to(device), mask.to(device)
        with torch.inference_mode():
            states = self.backbone.hidden_states(ids)  # causal: padding on the right changes nothing
        return states.float(), ids, mask

    # ---- embeddings ----

    def embed(self, texts: list[str], kind: EmbeddingKind, language: str | None = None,
              batch_size: int = 16) -> np.ndarray:
        """Embeddings [len(texts), D] (float32, unit rows). Batches group similar lengths (sorted, as CGE does)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = [self.input_ids(text, kind, language) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            states, ids, mask = self.token_states([encoded[i] for i in rows])
            with torch.inference_mode():
                vectors = self.head(states, ids, mask)
            out[rows] = vectors.cpu().numpy()
        return out

    # ---- files ----

    def save_head(self, folder: str | Path) -> None:
        """Write the head (config.json + model.safetensors, float16) to `folder`."""
        save_head(self.head, self.config, folder)

    @classmethod
    def load(cls, model_dir: str | Path, head_dir: str | Path | None = None, device: str = "cpu",
             check_backbone: bool = True, companion: bool = True) -> CodeEmbedder:
        """The backbone of `model_dir` with the head in `head_dir` (default `model_dir/embedder`), and the head's
        companion if it has one and `companion` is true.

        Raises FileNotFoundError when there is no head, EmbedderMismatch when it was trained on other weights.
        """
        model_dir = Path(model_dir)
        head_dir = Path(head_dir) if head_dir is not None else model_dir / HEAD_DIR
        config, head = load_head(head_dir)
        if check_backbone and config.backbone_digest and config.backbone_digest != weights_digest(model_dir):
            raise EmbedderMismatch(f"the search head in {head_dir} was trained on other weights than {model_dir}; "
                                   "retrain it with `rodimus-lsp train --mode embedder`")  # fmt: skip
        if companion and (head_dir / COMPANION_DIR / "config.json").is_file():
            attach_companion(head, head_dir)
        backbone, tokenizer = load_model(model_dir, device=device)
        if tokenizer is None:
            raise FileNotFoundError(f"{model_dir} has no tokenizer.json")
        return cls(backbone, tokenizer, head.to(device), config)


def pad(batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Id lists -> right-padded ids [B, T] (padding 0) and mask [B, T] (True = a real token)."""
    width = max(len(ids) for ids in batch)
    ids = torch.zeros(len(batch), width, dtype=torch.long)
    mask = torch.zeros(len(batch), width, dtype=torch.bool)
    for row, seq in enumerate(batch):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = True
    return ids, mask


def save_head(head: SearchHead, config: EmbedderConfig, folder: str | Path) -> None:
    """Write the head's own weights (float16, no companion) and config to `folder`."""
    tensors = {k: v for k, v in head.state_dict().items() if not k.startswith("companions.")}
    _write_folder(folder, config.to_dict(), tensors)


def save_companion(companion: Companion, head_dir: str | Path, folder: str | Path) -> None:
    """Write `companion` (float16) as the companion of the head saved in `head_dir`, whose weights it is bound to."""
    config = {"model_type": "rodimus-cge-companion", "pooling": "pma", "rank": companion.rank,
              "head_digest": weights_digest(head_dir)}  # fmt: skip
    _write_folder(folder, config, companion.state_dict())


def _write_folder(folder: str | Path, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    """config.json and model.safetensors (float16) in `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in tensors.items()}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})


def attach_companion(head: SearchHead, head_dir: str | Path) -> None:
    """Add the companion saved in `head_dir/companion` to `head` (loaded from `head_dir`).

    Raises EmbedderMismatch when the companion was trained beside other head weights, ValueError when its
    weights do not fit the head's shapes."""
    head_dir = Path(head_dir)
    folder = head_dir / COMPANION_DIR
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("head_digest") != weights_digest(head_dir):
        raise EmbedderMismatch(f"the companion in {folder} was trained beside other head weights than {head_dir}'s")
    companion = Companion(head, int(config["rank"]))
    _load_strict(companion, folder)
    head.companions.append(companion.eval())


def load_head(folder: str | Path) -> tuple[EmbedderConfig, SearchHead]:
    """A head folder's config and weights (float32); every key is checked."""
    folder = Path(folder)
    config = EmbedderConfig.from_json_file(folder / "config.json")
    head = SearchHead(config)
    _load_strict(head, folder)
    return config, head.eval()


def _load_strict(module: nn.Module, folder: Path) -> None:
    """Load `folder/model.safetensors` into `module` as float32; every key and shape must match."""
    tensors = load_file(str(folder / "model.safetensors"))
    expected = module.state_dict()
    missing, unexpected = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    bad_shapes = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or bad_shapes:
        raise ValueError(f"{folder} does not match its config: missing {missing}, unexpected {unexpected}, "
                         f"wrong shapes {bad_shapes}")  # fmt: skip
    module.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
