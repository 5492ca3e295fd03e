"""Source bytes -> text: UTF-8, or the encoding a Python file declares (PEP 263); nothing else is guessed."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.text_encoding import decode_source, file_encoding

LATIN1_COOKIE = "# -*- coding: latin-1 -*-\n"


@pytest.mark.parametrize(
    ("data", "python", "encoding"),
    [
        ("x = 'é'\n".encode(), True, "utf-8"),
        ((LATIN1_COOKIE + "x = 'é'\n").encode("utf-8"), True, "utf-8"),  # valid UTF-8 wins over the cookie
        ((LATIN1_COOKIE + "x = 'é'\n").encode("latin-1"), True, "iso-8859-1"),
        ("#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nq = '\u201c'\n".encode("cp1252"), True, "cp1252"),
        (("\n\n" + LATIN1_COOKIE + "x = 'é'\n").encode("latin-1"), True, None),  # a cookie only counts on line 1-2
        ((LATIN1_COOKIE + "x = 'é'\n").encode("latin-1"), False, None),  # cookies are Python's alone
        ("# coding: no-such-codec\nx = 'é'\n".encode("latin-1"), True, None),
        (b"x = '\xed\xa0\x80'\n", True, None),  # an encoded surrogate: no encoding reads it
        (b"# coding: utf-8\nx = '\xe9'\n", True, None),  # declares UTF-8 and is not
    ],
    ids=["utf8", "utf8-despite-cookie", "latin1-cookie", "vim-cookie-line-2", "cookie-on-line-3", "not-python",
         "unknown-codec", "surrogate", "declared-utf8"],
)
def test_file_encoding(data: bytes, python: bool, encoding: str | None) -> None:
    assert file_encoding(data, python) == encoding


def test_undecodable_bytes_are_replaced_not_fatal() -> None:
    assert decode_source(b"x = '\xe9'\n", python=True) == ("x = '\ufffd'\n", None)


@given(st.text(alphabet=st.characters(max_codepoint=0xFF, exclude_categories=["Cs"])))
def test_a_declared_latin1_file_reads_without_loss_and_in_latin1_unless_it_is_utf8(body: str) -> None:
    text = LATIN1_COOKIE + body
    data = text.encode("latin-1")
    decoded, encoding = decode_source(data, python=True)
    assert encoding is not None and decoded.encode(encoding) == data  # whichever reads it, nothing is lost
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert (decoded, encoding) == (text, "iso-8859-1")  # not UTF-8: the cookie decides
