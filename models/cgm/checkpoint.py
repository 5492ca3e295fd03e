"""Reader folders on disk: our own (config.json with model_type "cgm", merged weights, tokenizer) and a
CodeFuse-CGM-style training output on top of a Qwen2 base. Safetensors only, never pickle.

Our folder: ``config.json`` (CGMConfig), ``model.safetensors`` with the LLM under Hugging Face Qwen2 names
(``model.layers.0.self_attn.q_proj.weight`` ...; ``lm_head.weight`` omitted when tied) and the adapter as
``adapter.fc1.weight`` ..., and the tokenizer files. ``config.encoder`` names the embedder's model folder relative
to the reader folder (the starter reader uses the starter model's search head, ".."); ``config.token_table``, when
set, names the safetensors tensor that is the LLM's token table (the starter reader shares the starter model's, so
its folder holds only the layers and the adapter).

CodeFuse-CGM layout (its ``cgm/utils/train_utils.py`` writes one output folder): the tokenizer files, the LLM's LoRA
as PEFT saves it (``adapter_config.json`` + ``adapter_model.safetensors``, names
``base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight``, with ``bias="lora_only"`` also the wrapped
layers' biases), the adapter as ``adapter.pth`` (a torch pickle: convert it once with
``save_file(torch.load("adapter.pth"), "adapter.safetensors")``; pickles are not read) and ``encoder/`` (a PEFT LoRA of
CodeT5+, which this project does not run: the node encoder is our own embedder folder, whose width must match the
adapter's input). The Qwen2 base is a separate Hugging Face folder (config.json + model.safetensors or shards).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from models.checkpoint import read_safetensors
from models.cgm.config import CGMConfig, LoraConfig
from models.cgm.lora import apply_lora, merge_lora
from models.cgm.model import CGMForCausalLM
from models.tokenizer import Tokenizer
from models.transformer import TransformerConfig

PEFT_PREFIX = "base_model.model."
ADAPTER_FILE = "adapter.safetensors"


def save_reader(model: CGMForCausalLM, tokenizer: Tokenizer, folder: str | Path,
                dtype: torch.dtype = torch.float16) -> None:
    """Write the reader folder; LoRA layers, if any, are merged first (on a copy's weights, the model is kept)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = _merged_state(model)
    if model.config.llm.tie_word_embeddings:
        state.pop("lm.lm_head.weight", None)
    if model.config.token_table:
        state.pop("lm.model.embed_tokens.weight")
    tensors = {(k[3:] if k.startswith("lm.") else k): v.detach().to("cpu", dtype).contiguous()
               for k, v in state.items()}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = model.config.to_dict()
    config["torch_dtype"] = str(dtype).removeprefix("torch.")
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tokenizer.save(folder)


def _merged_state(model: CGMForCausalLM) -> dict[str, torch.Tensor]:
    state = dict(model.state_dict())
    for name in [k for k in state if k.endswith(".lora_A.weight")]:
        module = name[: -len(".lora_A.weight")]
        a, b = state.pop(name).float(), state.pop(f"{module}.lora_B.weight").float()
        state[f"{module}.weight"] = state[f"{module}.weight"].float() + model.config.lora.scale * (b @ a)
    return state


def load_reader(folder: str | Path, device: str = "cpu") -> tuple[CGMForCausalLM, Tokenizer]:
    """Our reader folder -> (model in float32, eval mode; tokenizer). Every key and shape is checked."""
    folder = Path(folder)
    config = CGMConfig.from_json_file(folder / "config.json")
    tensors = {("lm." + k if not k.startswith("adapter.") else k): v for k, v in read_safetensors(folder).items()}
    if config.token_table:
        tensors["lm.model.embed_tokens.weight"] = shared_token_table(folder, config.token_table)
    model = CGMForCausalLM(config)
    _load_checked(model, tensors, folder)
    return model.to(device).eval(), Tokenizer.from_dir(_tokenizer_dir(folder, config))


def _tokenizer_dir(folder: Path, config: CGMConfig) -> Path:
    """The reader's own tokenizer files; with a shared token table and no files of its own, those beside the
    table (one vocabulary: an exported reader keeps no copy of its backbone's tokenizer)."""
    if (folder / "tokenizer.json").is_file() or not config.token_table:
        return folder
    return (folder / config.token_table.rpartition(":")[0]).parent


def shared_token_table(folder: Path, reference: str) -> torch.Tensor:
    """The tensor ``reference`` ("file.safetensors:tensor name", the file relative to ``folder``) names."""
    file, _, name = reference.rpartition(":")
    path = folder / file
    if not path.is_file():
        raise FileNotFoundError(f"the reader's token table {path} does not exist")
    tensors = load_file(str(path))
    if name not in tensors:
        raise ValueError(f"{path} has no tensor {name!r} (the reader's token table)")
    return tensors[name]


def _load_checked(model: CGMForCausalLM, tensors: dict[str, torch.Tensor], source: Path) -> None:
    expected = model.state_dict()
    if model.config.llm.tie_word_embeddings:
        tensors.pop("lm.lm_head.weight", None)
        expected.pop("lm.lm_head.weight")
    missing, unexpected = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    shapes = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or shapes:
        raise ValueError(f"{source} does not match its config: missing {missing[:5]}, unexpected {unexpected[:5]}, "
                         f"wrong shapes {shapes[:5]}")
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=False)


def load_codefuse_checkpoint(checkpoint: str | Path, base: str | Path, device: str = "cpu",
                             encoder: str = "") -> tuple[CGMForCausalLM, Tokenizer]:
    """A CodeFuse-CGM-style training output (``checkpoint``: PEFT LoRA + adapter.safetensors + tokenizer) on its
    Qwen2 ``base`` folder -> a reader model with the LoRA merged. ``encoder`` is recorded in the config as the
    embedder folder to use (its vectors must have the adapter's input width)."""
    checkpoint, base = Path(checkpoint), Path(base)
    llm = TransformerConfig.from_json_file(base / "config.json")
    peft = json.loads((checkpoint / "adapter_config.json").read_text(encoding="utf-8"))
    lora = LoraConfig(rank=int(peft["r"]), alpha=float(peft["lora_alpha"]),
                      dropout=float(peft.get("lora_dropout", 0.0)), targets=tuple(peft["target_modules"]))
    if not (checkpoint / ADAPTER_FILE).is_file():
        hint = " (convert its adapter.pth to safetensors first)" if (checkpoint / "adapter.pth").is_file() else ""
        raise FileNotFoundError(f"{checkpoint / ADAPTER_FILE} does not exist{hint}")
    adapter = load_file(str(checkpoint / ADAPTER_FILE))
    hidden_dim, embedding_dim = adapter["fc1.weight"].shape
    config = CGMConfig(llm=llm, embedding_dim=embedding_dim, adapter_hidden_dim=hidden_dim, reverse_edges=False,
                       lora=lora, encoder=encoder, chat_template=True)
    model = CGMForCausalLM(config)
    if not apply_lora(model.lm, lora):
        raise ValueError(f"{checkpoint}: none of the LoRA targets {lora.targets} is a layer of the base model")
    tensors = {"lm." + k: v for k, v in read_safetensors(base).items()}
    for name, value in load_file(str(checkpoint / "adapter_model.safetensors")).items():
        if not name.startswith(PEFT_PREFIX):
            raise ValueError(f"{checkpoint}: unexpected LoRA tensor name {name}")
        tensors["lm." + name[len(PEFT_PREFIX):]] = value
    tensors.update({"adapter." + k: v for k, v in adapter.items()})
    _load_checked(model, tensors, checkpoint)
    merge_lora(model.lm)
    tokenizer_dir = checkpoint if (checkpoint / "tokenizer.json").is_file() else base
    return model.to(device).eval(), Tokenizer.from_dir(tokenizer_dir)
