"""models.embedder: PMA shapes and masking, CGE input formats, head save/load, refusal on other weights."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import load_model, save_model
from models.embedder import (
    COMPANION_DIR,
    CodeEmbedder,
    Companion,
    EmbedderConfig,
    EmbedderMismatch,
    PMAPooling,
    SearchHead,
    instruction,
    load_head,
    save_companion,
    save_head,
)


def test_pma_pools_a_batch_into_unit_vectors() -> None:
    torch.manual_seed(0)
    head = PMAPooling(hidden_size=12, dim=16, num_heads=4)
    states = torch.randn(3, 7, 12)
    mask = torch.ones(3, 7, dtype=torch.bool)
    out = head(states, mask)
    assert out.shape == (3, 16)
    torch.testing.assert_close(out.norm(dim=-1), torch.ones(3))


def test_pma_ignores_padded_positions() -> None:
    torch.manual_seed(0)
    head = PMAPooling(hidden_size=12, dim=16, num_heads=4)
    real = torch.randn(1, 5, 12)
    padded = torch.cat([real, 100 * torch.randn(1, 3, 12)], dim=1)
    mask = torch.tensor([[True] * 5 + [False] * 3])
    torch.testing.assert_close(head(padded, mask), head(real, torch.ones(1, 5, dtype=torch.bool)))


def test_the_head_pools_hidden_states_with_adapted_token_rows() -> None:
    torch.manual_seed(0)
    head = SearchHead(EmbedderConfig(hidden_size=12, vocab_size=50, token_dim=6, embedding_dim=16, num_heads=4))
    head.init_tokens(0.02 * torch.randn(50, 12))
    assert head.pma.fc_k.in_features == 18
    assert abs(head.tokens.weight.std().item() - 1.0) < 0.1  # started at unit scale
    states, ids, mask = torch.randn(2, 5, 12), torch.randint(0, 50, (2, 5)), torch.ones(2, 5, dtype=torch.bool)
    out = head(states, ids, mask)
    assert out.shape == (2, 16)
    other = ids.clone()
    other[0, 2] = (ids[0, 2] + 1) % 50
    changed = head(states, other, mask)
    assert not torch.allclose(changed[0], out[0]) and torch.allclose(changed[1], out[1])


def test_packed_sequences_pool_as_the_padded_batch_does() -> None:
    torch.manual_seed(0)
    head = SearchHead(EmbedderConfig(hidden_size=12, vocab_size=50, token_dim=6, embedding_dim=16, num_heads=4))
    lengths = torch.tensor([3, 7, 1])
    states, ids = torch.randn(3, 7, 12), torch.randint(0, 50, (3, 7))
    mask = torch.arange(7)[None, :] < lengths[:, None]
    padded = head(states, ids, mask)
    torch.testing.assert_close(head.forward_packed(states[mask], ids[mask], lengths), padded)


def test_a_text_gets_the_same_vector_alone_and_in_a_padded_batch(tiny_embedder: CodeEmbedder) -> None:
    texts = ["def f(x):\n    return x + 1", "class BlobStore:\n    def put(self, filename):\n        return key"]
    together = tiny_embedder.embed(texts, "code")
    alone = np.stack([tiny_embedder.embed([text], "code")[0] for text in texts])
    assert together.shape == (2, 16)
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_inputs_follow_cge_the_instruction_comes_after_the_truncated_text(tiny_embedder: CodeEmbedder) -> None:
    tokenizer = tiny_embedder.tokenizer
    suffix = tokenizer.encode("\n" + instruction("query", "python"))
    ids = tiny_embedder.input_ids("checksum of a file", "query")
    assert ids[-len(suffix):] == suffix
    assert tokenizer.decode(ids[: -len(suffix)]) == "checksum of a file"
    long = tiny_embedder.input_ids("word " * 500, "code")
    assert len(long) == tiny_embedder.config.max_code_tokens
    assert long[-3:] == tokenizer.encode("\n" + instruction("code", "python"))[-3:]
    assert instruction("query", "python") == "Retrieve the Python code that solves the following query:"
    assert instruction("code", "go") == "Go code:"
    assert instruction("code", "cobol") == "code:"


def test_queries_and_code_are_embedded_differently(tiny_embedder: CodeEmbedder) -> None:
    query, code = tiny_embedder.embed(["slugify"], "query")[0], tiny_embedder.embed(["slugify"], "code")[0]
    assert not np.allclose(query, code)


def test_the_head_round_trips_through_safetensors(tiny_model_dir: Path, tiny_embedder: CodeEmbedder,
                                                  tmp_path: Path) -> None:
    tiny_embedder.save_head(tmp_path / "head")
    again = CodeEmbedder.load(tiny_model_dir, tmp_path / "head")
    assert again.config == tiny_embedder.config
    texts = ["def slugify(title): ...", "retry a network call"]
    np.testing.assert_allclose(again.embed(texts, "code"), tiny_embedder.embed(texts, "code"), atol=1e-6)
    assert again.fingerprint == tiny_embedder.fingerprint
    assert (tmp_path / "head" / "model.safetensors").stat().st_size < 50_000  # float16 weights
    assert again.head.tokens is not None and again.head.tokens.weight.shape == (tiny_embedder.config.vocab_size, 8)


def test_a_head_is_refused_on_other_backbone_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-model"
    model, tokenizer = load_model(tiny_model_dir)
    with torch.no_grad():
        model.model.norm_f.weight.add_(0.5)
    save_model(model, tokenizer, other)
    shutil.copytree(tiny_model_dir / "embedder", other / "embedder")
    with pytest.raises(EmbedderMismatch):
        CodeEmbedder.load(other)


def test_a_head_folder_that_does_not_match_its_config_is_an_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad-head"
    shutil.copytree(tiny_model_dir / "embedder", folder)
    config = EmbedderConfig.from_json_file(folder / "config.json")
    (folder / "config.json").write_text(json.dumps({**config.to_dict(), "embedding_dim": 32}), encoding="utf-8")
    with pytest.raises(ValueError, match="does not match"):
        load_head(folder)


def random_companion(head: SearchHead, rank: int = 3) -> Companion:
    torch.manual_seed(2)
    companion = Companion(head, rank)
    with torch.no_grad():
        companion.delta_u.normal_()
        companion.delta_v.normal_()
    return companion


def test_a_companion_joins_its_vector_to_the_heads(tiny_model_dir: Path, tiny_embedder: CodeEmbedder,
                                                   tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    head = tiny_embedder.head
    companion = random_companion(head)
    save_companion(companion, folder / "embedder", folder / "embedder" / COMPANION_DIR)
    pair = CodeEmbedder.load(folder)
    alone = CodeEmbedder.load(folder, companion=False)
    assert (pair.dim, alone.dim) == (32, 16)
    assert alone.fingerprint == tiny_embedder.fingerprint != pair.fingerprint  # bound consumers see the head alone
    texts = ["def slugify(title): ...", "retry a network call"]
    joined, own = pair.embed(texts, "code"), alone.embed(texts, "code")
    np.testing.assert_allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(joined[:, :16] * np.sqrt(2), own, atol=1e-5)
    # a dot product of joined vectors is the mean of the two members' cosines
    second = joined[:, 16:] * np.sqrt(2)
    np.testing.assert_allclose(joined[0] @ joined[1], (own[0] @ own[1] + second[0] @ second[1]) / 2, atol=1e-5)
    assert not np.allclose(second, own, atol=1e-3)


def test_a_companion_is_refused_beside_another_head(tiny_model_dir: Path, tiny_embedder: CodeEmbedder,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    save_companion(random_companion(tiny_embedder.head), folder / "embedder", folder / "embedder" / COMPANION_DIR)
    config, head = load_head(folder / "embedder")
    with torch.no_grad():
        head.pma.seed.add_(1.0)
    save_head(head, config, folder / "embedder")  # the head changed after its companion was trained
    with pytest.raises(EmbedderMismatch, match="companion"):
        CodeEmbedder.load(folder)
    assert CodeEmbedder.load(folder, companion=False).dim == 16


def test_the_head_alone_is_saved_without_its_companion(tiny_embedder: CodeEmbedder, tmp_path: Path) -> None:
    config, head = tiny_embedder.config, load_head_copy(tiny_embedder)
    head.companions.append(random_companion(head))
    save_head(head, config, tmp_path / "head")
    again = load_head(tmp_path / "head")[1]
    assert len(again.companions) == 0
    torch.testing.assert_close(again.pma.seed, head.pma.seed)


def load_head_copy(embedder: CodeEmbedder) -> SearchHead:
    head = SearchHead(embedder.config)
    head.load_state_dict(embedder.head.state_dict())
    return head
