"""Column units: convert a column between the client's negotiated encoding and UTF-8 bytes.

LSP counts columns in code units of the negotiated position encoding (UTF-16 unless the client offers
UTF-8; UTF-32 counts code points). `analysis/` counts UTF-8 bytes, the unit tree-sitter works in. Every
function here takes one line of text (without its line break) and never fails: a column past the end of the
line is clamped to the line's length, as the LSP specification asks, and a column that falls inside a
character (half of a UTF-16 surrogate pair, the middle of a multi-byte UTF-8 sequence) snaps back to the
start of that character.

The work is done by the codecs in C (encode, slice, decode with `ignore`), so a long minified line costs
a few microseconds, not a Python loop over its characters.
"""
from __future__ import annotations

from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "utf-16", "utf-32")


def client_col_to_char(line: str, client_col: int, encoding: Encoding) -> int:
    """Index into `line` (code points) of the character that starts at `client_col`."""
    if client_col <= 0:
        return 0
    if line.isascii() or encoding == "utf-32":
        return min(client_col, len(line))
    if encoding == "utf-16":
        return len(line.encode("utf-16-le")[: 2 * client_col].decode("utf-16-le", "ignore"))
    return len(line.encode("utf-8")[:client_col].decode("utf-8", "ignore"))


def char_to_client_col(line: str, char_index: int, encoding: Encoding) -> int:
    """Column in client units of code point `char_index` of `line` (clamped to the line)."""
    char_index = max(0, min(char_index, len(line)))
    if line.isascii() or encoding == "utf-32":
        return char_index
    if encoding == "utf-16":
        return len(line[:char_index].encode("utf-16-le")) // 2
    return len(line[:char_index].encode("utf-8"))


def client_col_to_byte(line: str, client_col: int, encoding: Encoding) -> int:
    """UTF-8 byte column of the character that starts at `client_col` (client units)."""
    if line.isascii():
        return max(0, min(client_col, len(line)))
    return len(line[: client_col_to_char(line, client_col, encoding)].encode("utf-8"))


def byte_to_client_col(line: str, byte_col: int, encoding: Encoding) -> int:
    """Column in client units of the character that starts at UTF-8 byte `byte_col`."""
    if line.isascii():
        return max(0, min(byte_col, len(line)))
    if encoding == "utf-8":
        return client_col_to_byte(line, byte_col, "utf-8")
    return char_to_client_col(line, byte_to_char(line, byte_col), encoding)


def byte_to_char(line: str, byte_col: int) -> int:
    """Index into `line` (code points) of the character that starts at UTF-8 byte `byte_col`."""
    return client_col_to_char(line, byte_col, "utf-8")


def char_to_byte(line: str, char_index: int) -> int:
    """UTF-8 byte column of code point `char_index` of `line` (clamped to the line)."""
    return char_to_client_col(line, char_index, "utf-8")
