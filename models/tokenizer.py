"""Tokenizer: a thin wrapper over a ``tokenizers`` tokenizer.json with the Rodimus special and FIM tokens.

Nothing is added around the text by ``encode`` (the official ``add_bos_token=false``); callers place special
tokens themselves by id.
"""

from __future__ import annotations

import json
from pathlib import Path

import tokenizers

from models import special_tokens

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")  # what `save` writes

# role -> token text, the official Rodimus+-Coder tokens (research/rodimus.md 9.5)
SPECIAL_TOKENS = {
    "bos": special_tokens.BOS,
    "eos": special_tokens.EOS,
    "fim_begin": special_tokens.FIM_BEGIN,
    "fim_hole": special_tokens.FIM_HOLE,
    "fim_end": special_tokens.FIM_END,
    "fim_pad": special_tokens.FIM_PAD,
    "file_sep": special_tokens.FILE_SEP,
    "repo_name": special_tokens.REPO_NAME,
}


class Tokenizer:
    """encode/decode plus the ids of the special tokens (None for a token the vocabulary lacks)."""

    def __init__(self, backend: tokenizers.Tokenizer) -> None:
        self.backend = backend
        self.special_ids: dict[str, int | None] = {
            role: backend.token_to_id(text) for role, text in SPECIAL_TOKENS.items()
        }

    @classmethod
    def from_file(cls, path: str | Path) -> Tokenizer:
        return cls(tokenizers.Tokenizer.from_file(str(path)))

    @classmethod
    def from_dir(cls, path: str | Path) -> Tokenizer:
        return cls.from_file(Path(path) / "tokenizer.json")

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self.backend.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        return self.backend.decode(ids, skip_special_tokens=False)

    def token_to_id(self, token: str) -> int | None:
        return self.backend.token_to_id(token)

    @property
    def bos(self) -> int | None:
        return self.special_ids["bos"]

    @property
    def eos(self) -> int | None:
        return self.special_ids["eos"]

    @property
    def fim_begin(self) -> int | None:
        return self.special_ids["fim_begin"]

    @property
    def fim_hole(self) -> int | None:
        return self.special_ids["fim_hole"]

    @property
    def fim_end(self) -> int | None:
        return self.special_ids["fim_end"]

    @property
    def fim_pad(self) -> int | None:
        return self.special_ids["fim_pad"]

    @property
    def file_sep(self) -> int | None:
        return self.special_ids["file_sep"]

    @property
    def repo_name(self) -> int | None:
        return self.special_ids["repo_name"]

    def save(self, path: str | Path) -> None:
        """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json in the official layout."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.backend.save(str(path / "tokenizer.json"))
        present = {role: SPECIAL_TOKENS[role] for role, i in self.special_ids.items() if i is not None}
        special_map = {f"{role}_token": present[role] for role in ("bos", "eos") if role in present}
        if "eos" in present:
            special_map["pad_token"] = present["eos"]
        extra = [text for role, text in present.items() if role not in ("bos", "eos")]
        if extra:
            special_map["additional_special_tokens"] = extra  # type: ignore[assignment]
        config = {
            "tokenizer_class": "RodimusTokenizer",
            "add_bos_token": False,
            "add_eos_token": False,
            "padding_side": "left",
            **special_map,
        }
        (path / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        (path / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n", encoding="utf-8")
