"""Line breaks: the model reads and writes "\\n"; a CRLF document is shown to it with each "\\r\\n" as "\\n".

The starter was trained on text with "\\n" line breaks. Fed a CRLF file as it is, it sees a "\\r" token before
every line break, which it rarely met in training: on CRLF copies of the held-out packages' files, next-line exact
match through the engine was 7.0 % (8.0 % on the files as they are), the model alone 3.5 % (4.75 %). So a
document session holds the document's *line-feed view* (`to_lf`), where the positions the server's document store
reports still hold: they count columns in a line without its "\\r\\n" (`lsp_server.documents.Lines.content`). A
suggestion is written back with the document's own line break (`with_line_break`).
"""
from __future__ import annotations


def to_lf(text: str) -> str:
    """The line-feed view of `text`: each "\\r\\n" as "\\n" (a lone "\\r" stays)."""
    return text.replace("\r\n", "\n")


def with_line_break(text: str, line_break: str) -> str:
    """A suggestion made in the line-feed view, with `line_break` ("\\n" or "\\r\\n") between its lines."""
    return text if line_break == "\n" else text.replace("\n", line_break)


def lf_replacement(view: bytes | bytearray, start: int, end: int, new_text: str) -> str:
    """What replaces `view[start:end]` in the line-feed view when an editor puts `new_text` at the same place.

    `start` and `end` come from store positions, which never fall between a "\\r\\n"'s two characters, so the
    view of the edited document is the view's text around the edit with `to_lf(new_text)` between, unless a
    "\\r" meets a "\\n" where the pieces join. Whether that makes a new pair can depend on what the view has lost
    (a "\\r\\n" and a "\\n" after `end` both read "\\n" in it), so a ValueError says so and the caller reads the
    document again. Editors send whole "\\r\\n"s; only hand-made edits with a lone "\\r" meet this.
    """
    following = view[end : end + 1] == b"\n"
    if (new_text.endswith("\r") and following) or (
        start > 0 and view[start - 1] == ord("\r") and (new_text.startswith("\n") or (not new_text and following))
    ):
        raise ValueError("an edit joins a '\\r' to a line break: the line-feed view cannot follow it")
    return to_lf(new_text)
