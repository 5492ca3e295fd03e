"""The CGM reader's configuration: the LLM's Qwen2 config plus the graph side (encoder width, adapter, segments,
LoRA, mask choices). Written as the reader folder's ``config.json`` with ``model_type`` "cgm".

Mask choices (research/cgm_cge.md 2.3; the release has neither explicit self-loops nor reverse edges):

- Self-loops are always present: the segments of one node attend to each other, the segment itself included
  (the release's intra-node block is all ones). So a node without out-edges still has one key, its own segments,
  and no query row of the mask is ever empty (SDPA returns NaN for an empty row). There is no switch for it.
- ``reverse_edges`` (default True for readers we train): every edge also counts backwards, so a function node
  reads its file, its class and its callers as well as its callees. With the release's one-way edges a FUNCTION
  node that calls nothing sees only itself, and a small model with few layers gets no message passing at all for
  the nodes an issue is usually about. Loading a CodeFuse-CGM checkpoint sets it to False, as that model was
  trained.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.transformer import TransformerConfig

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class LoraConfig:
    rank: int = 32
    alpha: float = 32.0
    dropout: float = 0.05
    targets: tuple[str, ...] = LORA_TARGETS

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


@dataclass(frozen=True)
class CGMConfig:
    llm: TransformerConfig
    embedding_dim: int = 256  # the encoder's vector width (the adapter's input)
    adapter_hidden_dim: int = 4096
    segment_tokens: int = 512  # encoder tokens per node segment (one node token each)
    max_nodes: int = 64  # nodes beyond this are dropped (in the graph's order, which puts the nearest first)
    max_segments_per_node: int = 8
    reverse_edges: bool = True
    lora: LoraConfig = field(default_factory=LoraConfig)
    encoder: str = ""  # the embedder's model folder, relative to the reader folder ("" = none: text only)
    encoder_fingerprint: str = ""  # CodeEmbedder.fingerprint the adapter was trained on ("" = not checked)
    # "file.safetensors:tensor name", relative to the reader folder: the LLM's token table is that tensor (kept
    # frozen in training and not saved with the reader; the starter reader shares the starter model's table)
    token_table: str = ""
    max_prompt_tokens: int = 768
    constrained_decoding: bool = True  # rank repair candidates of the shown code (models.cgm.decode)
    chat_template: bool = False  # wrap the prompt in Qwen's <|im_start|> chat turns (CodeFuse-CGM checkpoints)
    max_answer_tokens: int = 256

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model_type": "cgm", "architectures": ["CGMForCausalLM"]}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "llm":
                value = value.to_dict()
            elif f.name == "lora":
                value = {**dataclasses.asdict(value), "targets": list(value.targets)}
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CGMConfig:
        if data.get("model_type") != "cgm":
            raise ValueError(f"not a CGM reader config (model_type {data.get('model_type')!r}, expected 'cgm')")
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        known["llm"] = TransformerConfig.from_dict(data["llm"])
        lora = dict(data.get("lora") or {})
        if "targets" in lora:
            lora["targets"] = tuple(lora["targets"])
        known["lora"] = LoraConfig(**lora)
        return cls(**known)

    @classmethod
    def from_json_file(cls, path: str | Path) -> CGMConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
