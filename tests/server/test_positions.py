"""The column codec: round trips on random Unicode lines in every encoding, and snapping inside characters."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lsp_server.positions import (
    ENCODINGS,
    byte_to_client_col,
    char_to_byte,
    char_to_client_col,
    client_col_to_byte,
    client_col_to_char,
)

# Every code point but surrogates and line breaks; astral characters on purpose.
lines = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n\r"), max_size=40)


def units(text: str, encoding: str) -> int:
    return len(text.encode(encoding.replace("utf-16", "utf-16-le").replace("utf-32", "utf-32-le"))) // {
        "utf-8": 1, "utf-16": 2, "utf-32": 4
    }[encoding]  # fmt: skip


@given(lines, st.sampled_from(ENCODINGS))
def test_every_character_boundary_round_trips(line: str, encoding: str) -> None:
    for char in range(len(line) + 1):
        client, byte = units(line[:char], encoding), len(line[:char].encode())
        assert char_to_client_col(line, char, encoding) == client
        assert client_col_to_char(line, client, encoding) == char
        assert client_col_to_byte(line, client, encoding) == byte
        assert byte_to_client_col(line, byte, encoding) == client
        assert char_to_byte(line, char) == byte


@given(lines, st.sampled_from(ENCODINGS), st.integers(min_value=-3, max_value=200))
def test_any_column_snaps_to_the_start_of_its_character(line: str, encoding: str, col: int) -> None:
    char = client_col_to_char(line, col, encoding)
    assert 0 <= char <= len(line)
    assert units(line[:char], encoding) <= max(col, 0)
    if char < len(line):  # the next boundary is past the column: this is the character it falls in
        assert units(line[: char + 1], encoding) > col


def test_astral_characters_count_two_in_utf16_and_four_in_utf8() -> None:
    line = "a😀b"
    assert client_col_to_byte(line, 3, "utf-16") == 5  # "a" + 😀 (2 units) -> b at byte 5
    assert client_col_to_byte(line, 2, "utf-16") == 1  # inside the surrogate pair: the start of 😀
    assert client_col_to_byte(line, 3, "utf-8") == 1  # inside the 4-byte sequence: the start of 😀
    assert byte_to_client_col(line, 5, "utf-16") == 3
    assert byte_to_client_col(line, 5, "utf-32") == 2


def test_columns_past_the_end_clamp_to_the_line() -> None:
    assert client_col_to_byte("größe", 99, "utf-16") == len("größe".encode())
    assert byte_to_client_col("größe", 99, "utf-16") == 5
    assert client_col_to_byte("abc", 99, "utf-8") == 3
