from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer

from models.special_tokens import EOS, SPECIAL_TOKENS


def test_special_tokens_are_single_ids(tokenizer_dir: Path) -> None:
    tok = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
    for expected_id, token in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(token) == expected_id
        assert tok.encode(token).ids == [expected_id]


def test_round_trip_keeps_indentation(tokenizer: Tokenizer) -> None:
    text = "def f(x):\n        return {'k': x}\n\tpass\n"
    assert tokenizer.decode(tokenizer.encode(text).ids) == text


def test_indentation_run_is_one_token(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.encode("    for arg in argv:\n        print(arg)\n").tokens
    assert "ĊĠĠĠĠĠĠĠ" in tokens


def test_special_token_text_in_source_is_plain_text(tokenizer: Tokenizer) -> None:
    assert 1 not in tokenizer.encode(f"x = '{EOS}'").ids


def test_tokenizer_config_names_the_official_tokens(tokenizer_dir: Path) -> None:
    config = json.loads((tokenizer_dir / "tokenizer_config.json").read_text())
    assert config["bos_token"] == "<|startoftext|>" and config["eos_token"] == EOS
    assert config["add_bos_token"] is False and config["pad_token"] == EOS
    assert set(config["additional_special_tokens"]) == set(SPECIAL_TOKENS) - {"<|startoftext|>", EOS}
