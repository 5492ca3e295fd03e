"""The local reader: focus finding, the node encoder, a reader folder with its embedder read end to end, and its
wiring as cgm.backend "local" without importing torch in analysis."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from analysis.readers.base import ReaderRequest, SourceFile
from analysis.readers.config import ReaderConfig, build_reader, local_reader_dir
from models.cgm.checkpoint import save_reader
from models.cgm.encoder import NodeEncoder
from models.cgm.prompt import find_focus, prompt_text
from models.cgm.reader import LocalReader
from models.checkpoint import save_model
from models.config import RodimusConfig
from models.embedder import CodeEmbedder, EmbedderConfig, SearchHead, save_head, weights_digest
from models.rodimus import RodimusForCausalLM
from models.tokenizer import Tokenizer
from tests.cgm.conftest import small_graph, tiny_reader

SOURCE = "import os\n\n\ndef f(x):\n    return g(x) + 1\n\n\ndef g(y):\n    return y * 2\n"


@pytest.fixture(scope="module")
def embedder_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer: Tokenizer) -> Path:
    """A tiny random Rodimus+ backbone with a random search head of 16-d vectors, over the starter tokenizer."""
    folder = tmp_path_factory.mktemp("embedder-model")
    torch.manual_seed(0)
    backbone = RodimusForCausalLM(RodimusConfig(
        d_model=32, n_layer=1, vocab_size=tokenizer.vocab_size, block_type="rodimus_plus", tie_word_embeddings=True,
        mixer_cfg={"mem_size": 8, "normalize_epsilon": 1e-5},
        attn_cfg={"num_heads": 2, "num_heads_k": 1, "num_heads_v": 2, "window_size": 16})).eval()  # fmt: skip
    save_model(backbone, tokenizer, folder)
    config = EmbedderConfig(hidden_size=32, embedding_dim=16, num_heads=4, max_code_tokens=64,
                            backbone_digest=weights_digest(folder))
    save_head(SearchHead(config), config, folder / "embedder")
    return folder


def test_find_focus_locates_the_first_function_node() -> None:
    files = (SourceFile("other.py", "x = 1\n"), SourceFile("a.py", SOURCE))
    assert find_focus(small_graph(), files) == ("a.py", 4, 5)
    assert find_focus(None, files) is None
    text = prompt_text("f(1) returns the wrong value", files, ("a.py", 4, 5))
    assert "a.py\ndef f(x):\n    return g(x) + 1\n</code>" in text and "g(y)" not in text


def test_node_encoder_segments_and_caches(embedder_dir: Path) -> None:
    encoder = NodeEncoder(CodeEmbedder.load(embedder_dir), segment_tokens=8, max_segments_per_node=3)
    assert encoder.segments("") == [""] and len(encoder.segments("x = 1\n" * 40)) == 3
    vectors, owner, edges = encoder.encode(small_graph(), max_nodes=3)
    assert owner[0] == 0 and owner[-1] == 2 and edges == [(0, 1), (0, 2), (1, 2)]
    assert vectors.shape == (len(owner), 16)
    again, _, _ = encoder.encode(small_graph(), max_nodes=4)
    assert torch.equal(again[: len(owner)], vectors) and not again[-1].any()  # the empty FILE: one zero vector
    assert np.allclose(np.linalg.norm(vectors.numpy(), axis=1), 1.0, atol=1e-4)


def test_local_reader_reads_a_request(tmp_path: Path, tokenizer: Tokenizer, embedder_dir: Path) -> None:
    fingerprint = CodeEmbedder.load(embedder_dir).fingerprint
    model = tiny_reader(tokenizer.vocab_size, encoder=str(embedder_dir), encoder_fingerprint=fingerprint)
    save_reader(model, tokenizer, tmp_path / "reader")
    reader = LocalReader.from_folder(tmp_path / "reader")
    assert reader.encoder is not None and reader.name == "local"
    request = ReaderRequest("f(1) returns 5", (SourceFile("a.py", SOURCE),), "", small_graph())
    reply = reader.read(request)  # constrained decoding: a line of the shown function and a one-token edit of it
    assert len(reply.edits) == 1 and reply.edits[0].path == "a.py"
    assert reply.edits[0].search in ("def f(x):\n", "    return g(x) + 1\n", "def f(x):\n    return g(x) + 1\n")
    assert reply.edits[0].replace != reply.edits[0].search
    config = ReaderConfig(backend="local", model=str(tmp_path / "reader"))
    assert isinstance(build_reader(config), LocalReader) and build_reader(config) is build_reader(config)


def test_a_reader_without_its_embedder_reads_text_alone(tmp_path: Path, tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size, encoder="no-such-embedder")
    save_reader(model, tokenizer, tmp_path)
    assert LocalReader.from_folder(tmp_path).encoder is None


def test_local_backend_without_a_folder_gives_no_reader(tmp_path: Path) -> None:
    assert local_reader_dir(ReaderConfig(backend="local", model=str(tmp_path))) is None
    assert build_reader(ReaderConfig(backend="local", model=str(tmp_path))) is None


def test_reader_config_does_not_import_torch() -> None:
    code = ("import sys, analysis.readers.config as c; c.shipped_reader_dir(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
