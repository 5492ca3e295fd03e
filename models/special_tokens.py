"""The official Rodimus(+)-Coder special tokens, as strings (research/rodimus.md section 9.5)."""

from __future__ import annotations

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
PAD = EOS
FIM_BEGIN = "<|fim_begin|>"
FIM_HOLE = "<|fim_hole|>"
FIM_END = "<|fim_end|>"
FIM_PAD = "<|fim_pad|>"
FILE_SEP = "<|file_sep|>"
REPO_NAME = "<|repo_name|>"

SPECIAL_TOKENS = (BOS, EOS, FIM_BEGIN, FIM_HOLE, FIM_END, FIM_PAD, FILE_SEP, REPO_NAME)
