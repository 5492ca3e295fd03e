"""How a source file's bytes become text, and the text bytes again, without losing what was there.

Files are UTF-8, except Python files that declare another encoding in a PEP 263 coding cookie
(`# -*- coding: latin-1 -*-` in the first two lines), which older code still has; Python itself reads them in
that encoding. Such a file is read in its declared encoding, so the graph holds its real names ("café", not
"caf\\ufffd"), and a patch is written back in it. Bytes that fit neither are read with U+FFFD in their place:
good enough to index and to show, but such a file is never written, since the replaced bytes would be lost.
A file that is valid UTF-8 is read as UTF-8 whatever its cookie says, as editors do.
"""
from __future__ import annotations

import codecs
import contextlib
import tokenize


def declared_encoding(data: bytes) -> str | None:
    """The encoding Python would read `data` in: a PEP 263 cookie's, else UTF-8; None for a cookie it refuses."""
    lines = iter(data.splitlines(keepends=True)[:2])
    try:
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    except SyntaxError:  # an unknown encoding, or a cookie that contradicts a UTF-8 BOM
        return None
    return encoding


def decode_source(data: bytes, python: bool) -> tuple[str, str | None]:
    """The text of a file's bytes, and the encoding that reads them exactly: UTF-8 if it can, else a Python
    file's declared one; None when neither does, and the bytes neither fits became U+FFFD."""
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8"), "utf-8"
    declared = declared_encoding(data) if python else None
    if declared is not None and codecs.lookup(declared).name not in ("utf-8", "utf-8-sig"):  # UTF-8 has failed
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(declared), declared
    return data.decode("utf-8", "replace"), None


def file_encoding(data: bytes, python: bool) -> str | None:
    """The encoding that decodes `data` exactly (see `decode_source`), or None."""
    return decode_source(data, python)[1]
