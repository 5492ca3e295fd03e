"""Tiny CGM readers with random weights (real model math, meaningless answers) over the starter tokenizer, and a
tiny random code embedder for the node encoder."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from analysis.readers.base import GraphContext, GraphNode
from models.cgm.config import CGMConfig, LoraConfig
from models.cgm.model import CGMForCausalLM
from models.tokenizer import Tokenizer
from models.transformer import TransformerConfig

STARTER = Path(__file__).resolve().parents[2] / "models" / "starter"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    return Tokenizer.from_dir(STARTER)


def tiny_config(vocab_size: int, **overrides: object) -> CGMConfig:
    llm = TransformerConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, attention_bias=True,
                            tie_word_embeddings=True)  # fmt: skip
    fields: dict[str, object] = dict(llm=llm, embedding_dim=16, adapter_hidden_dim=24, max_answer_tokens=12,
                                     lora=LoraConfig(rank=4, alpha=8.0, dropout=0.0))
    fields.update(overrides)
    return CGMConfig(**fields)  # type: ignore[arg-type]


def tiny_reader(vocab_size: int, seed: int = 0, **overrides: object) -> CGMForCausalLM:
    torch.manual_seed(seed)
    return CGMForCausalLM(tiny_config(vocab_size, **overrides)).eval()


def small_graph() -> GraphContext:
    """FILE a.py contains f and g; f calls g; a second file imports nothing."""
    nodes = (
        GraphNode("a.py", "FILE", "a.py\ndef f(x):\n    return g(x) + 1\n\ndef g(y):\n    return y * 2\n"),
        GraphNode("a.py:f", "FUNCTION", "def f\ndef f(x):\n    return g(x) + 1"),
        GraphNode("a.py:g", "FUNCTION", "def g\ndef g(y):\n    return y * 2"),
        GraphNode("b.py", "FILE", ""),
    )
    return GraphContext(nodes=nodes, edges=((0, 1, "contains"), (0, 2, "contains"), (1, 2, "calls")))


# Real Python source that every machine running the suite has: the interpreter's own standard library, split by
# whole file the way the corpus build splits (data/corpus is built by a script and is not in the repository).
HELDOUT_MODULES = ("_weakrefset", "bisect", "heapq", "textwrap", "shlex", "fnmatch", "colorsys", "calendar",
                   "string", "base64", "difflib", "glob", "copy", "pprint", "sched", "ntpath", "posixpath", "quopri",
                   "reprlib", "filecmp", "genericpath")  # fmt: skip
TRAIN_MODULES = ("statistics", "fractions", "queue", "tokenize", "gettext", "netrc")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder (train.jsonl / heldout.jsonl records {"path", "package", "text"}) of stdlib modules."""
    import json
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    folder = tmp_path_factory.mktemp("corpus")
    for split, modules in (("heldout", HELDOUT_MODULES), ("train", TRAIN_MODULES)):
        records = [{"path": f"python-stdlib/{name}.py", "package": "python-stdlib",
                    "text": (stdlib / f"{name}.py").read_text(encoding="utf-8")} for name in modules]  # fmt: skip
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder
