"""RodimusConfig: the official ``config.json`` of Rodimus / Rodimus+ checkpoints, with derived sizes.

Keys and defaults follow ``codefuse-ai/rodimus:configuration_rodimus.py`` and the released configs
(research/rodimus.md 9.2), so an official folder's ``config.json`` loads as it is and a saved one reads back
in the official code. Keys this implementation does not use are kept in ``extra`` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK_TYPES = ("rodimus", "rodimus_plus")


def round_up_8(n: int) -> int:
    """Official ``align_multiple(n, 8)``: inner widths are rounded up to a multiple of 8."""
    return (n + 7) // 8 * 8


@dataclass(frozen=True)
class MixerConfig:
    """``mixer_cfg``: the Rodimus block (RodimusFlow). ``mode`` and ``post_norm_epsilon`` are kept for round trips."""

    expand_ratio: float = 2.0
    mem_size: int = 64
    input_gate_low_rank: int | str = "auto"
    normalize_epsilon: float | None = None
    d_conv: int = 4
    mode: str = "fused_chunk"
    post_norm_epsilon: float | None = None


@dataclass(frozen=True)
class AttnConfig:
    """``attn_cfg``: SW-SKA and the SwiGLU FFN of Rodimus+ (unused by plain Rodimus)."""

    num_heads: int | None = None
    num_heads_k: int | None = 1
    num_heads_v: int | None = None
    window_size: int | None = None
    rotary_emb_dim: int = -1
    rotary_emb_base: float = 10000.0
    rotary_emb_scale_base: float | None = None
    rotary_emb_interleaved: bool = False
    softmax_scale: float | None = None
    ffn_expand_ratio: float = 4 / 3


def _sub_config(cls: type, value: Any) -> Any:
    if isinstance(value, cls):
        return value
    value = dict(value or {})
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(value) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys {sorted(unknown)}; expected a subset of {sorted(names)}")
    return cls(**value)


@dataclass(frozen=True)
class RodimusConfig:
    """Hyper-parameters of a Rodimus / Rodimus+ model, named as in the official ``config.json``.

    ``mixer_cfg`` and ``attn_cfg`` accept plain dicts (as in JSON) and are turned into ``MixerConfig`` /
    ``AttnConfig``. Derived sizes (``d_inner``, ``mem_size``, ``num_heads``, ``head_dim``, ``ffn_dim``,
    ``left_window``, ...) are computed in ``__post_init__`` exactly as the official modules compute them.
    """

    d_model: int = 2048
    n_layer: int = 24
    vocab_size: int = 50277
    block_type: str = "rodimus"
    tie_word_embeddings: bool = False
    norm_epsilon: float = 1e-5
    residual_in_fp32: bool = True
    rescale_prenorm_residual: bool = True
    initializer_range: float = 0.02
    use_norm_embedding: bool = False
    use_scale_embedding: bool = False
    max_position_embeddings: int = 2048
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    pad_token_id: int | None = None
    mixer_cfg: MixerConfig = field(default_factory=MixerConfig)
    attn_cfg: AttnConfig = field(default_factory=AttnConfig)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    # derived in __post_init__
    d_inner: int = field(init=False)
    mem_size: int = field(init=False)
    d_conv: int = field(init=False)
    input_gate_rank: int = field(init=False)
    normalize_epsilon: float = field(init=False)
    num_heads: int = field(init=False)
    num_heads_k: int = field(init=False)
    num_heads_v: int = field(init=False)
    head_dim: int = field(init=False)
    rotary_dim: int = field(init=False)
    ffn_dim: int = field(init=False)
    left_window: int = field(init=False)

    def __post_init__(self) -> None:
        if self.block_type not in BLOCK_TYPES:
            raise ValueError(f"block_type must be one of {BLOCK_TYPES}, got {self.block_type!r}")
        mixer = _sub_config(MixerConfig, self.mixer_cfg)
        attn = _sub_config(AttnConfig, self.attn_cfg)
        d = self.d_model
        rank = mixer.input_gate_low_rank
        if isinstance(rank, str):
            if rank != "auto":
                raise ValueError(f"mixer_cfg.input_gate_low_rank must be an int or 'auto', got {rank!r}")
            rank = max(d // 64, 16)
        heads = attn.num_heads if attn.num_heads is not None else max(d // 128, 1)
        if d % heads:
            raise ValueError(f"d_model={d} is not divisible by attn_cfg.num_heads={heads}")
        head_dim = d // heads
        heads_k = attn.num_heads_k if attn.num_heads_k is not None else heads
        heads_v = attn.num_heads_v if attn.num_heads_v is not None else heads
        if heads_v != heads or heads % heads_k:
            raise ValueError(f"need num_heads_v == num_heads and num_heads % num_heads_k == 0, got "
                             f"num_heads={heads}, num_heads_k={heads_k}, num_heads_v={heads_v}")
        rotary = head_dim if attn.rotary_emb_dim is None or attn.rotary_emb_dim < 0 else attn.rotary_emb_dim
        if rotary % 2 or rotary > head_dim:
            raise ValueError(f"rotary_emb_dim must be even and <= head_dim={head_dim}, got {rotary}")
        # Official: flash-attn window (W // 2, 0); W <= 0 or None means full causal attention, which a
        # bounded state cannot hold, so it becomes "every position the model was trained for".
        window = attn.window_size
        left = window // 2 if window is not None and window > 0 else self.max_position_embeddings
        derived = {
            "mixer_cfg": mixer,
            "attn_cfg": attn,
            "d_inner": round_up_8(int(d * mixer.expand_ratio)),
            "mem_size": mixer.mem_size,
            "d_conv": mixer.d_conv,
            "input_gate_rank": int(rank),
            "normalize_epsilon": mixer.normalize_epsilon if mixer.normalize_epsilon is not None else 1e-12,
            "num_heads": heads,
            "num_heads_k": heads_k,
            "num_heads_v": heads_v,
            "head_dim": head_dim,
            "rotary_dim": rotary,
            "ffn_dim": round_up_8(int(d * attn.ffn_expand_ratio)),
            "left_window": max(left, 1),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def is_plus(self) -> bool:
        return self.block_type == "rodimus_plus"

    @property
    def embed_scale(self) -> float:
        """Official ``use_scale_embedding`` multiplies embeddings by sqrt(mem_size)."""
        return math.sqrt(self.mem_size) if self.use_scale_embedding else 1.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RodimusConfig:
        names = {f.name for f in dataclasses.fields(cls) if f.init and f.name != "extra"}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names}
        return cls(**known, extra=extra)

    @classmethod
    def from_json_file(cls, path: str | Path) -> RodimusConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model_type": "rodimus", "architectures": ["RodimusForCausalLM"]}
        out.update(self.extra)
        for f in dataclasses.fields(self):
            if not f.init or f.name == "extra":
                continue
            value = getattr(self, f.name)
            out[f.name] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        return out

    def to_json_file(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
