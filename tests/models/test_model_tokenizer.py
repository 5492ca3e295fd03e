"""The tokenizer wrapper: special and FIM token ids, encode/decode, saving in the official layout."""

from __future__ import annotations

import json
from pathlib import Path

import tokenizers
from tokenizers import models, pre_tokenizers

from models.checkpoint import load_model, save_model
from models.tokenizer import SPECIAL_TOKENS, Tokenizer
from tests.models.conftest import tiny_model


def word_tokenizer(with_fim: bool = True) -> Tokenizer:
    vocab = {"[UNK]": 0, "def": 1, "f": 2, "(": 3, ")": 4, ":": 5}
    backend = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = list(SPECIAL_TOKENS.values()) if with_fim else [SPECIAL_TOKENS["bos"], SPECIAL_TOKENS["eos"]]
    backend.add_special_tokens(specials)
    return Tokenizer(backend)


def test_special_token_ids() -> None:
    tok = word_tokenizer()
    assert tok.bos == 6 and tok.eos == 7
    ids = [tok.fim_begin, tok.fim_hole, tok.fim_end, tok.fim_pad, tok.file_sep, tok.repo_name]
    assert ids == [8, 9, 10, 11, 12, 13]
    assert tok.vocab_size == 14
    assert tok.token_to_id("<|fim_hole|>") == tok.fim_hole


def test_missing_fim_tokens_are_none() -> None:
    tok = word_tokenizer(with_fim=False)
    assert tok.eos is not None and tok.fim_begin is None and tok.repo_name is None


def test_encode_adds_nothing_and_decodes_specials() -> None:
    tok = word_tokenizer()
    assert tok.encode("def f ( ) :") == [1, 2, 3, 4, 5]
    text = tok.decode([tok.fim_begin, 1, 2, tok.fim_end])  # type: ignore[list-item]
    assert "<|fim_begin|>" in text and "<|fim_end|>" in text


def test_saved_with_model_folder(tmp_path: Path) -> None:
    save_model(tiny_model("rodimus"), word_tokenizer(), tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["add_bos_token"] is False and config["eos_token"] == "<|endoftext|>"
    assert "<|fim_hole|>" in config["additional_special_tokens"]
    _, tok = load_model(tmp_path)
    assert tok is not None and tok.fim_hole == 9 and tok.encode("f :") == [2, 5]
