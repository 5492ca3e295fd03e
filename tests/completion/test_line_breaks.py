"""A session follows a CRLF document as its line-feed view: the store's edits, forwarded as the server forwards
them, keep the session's text equal to the view of the editor's text, computed from scratch."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from completion.line_breaks import lf_replacement, to_lf, with_line_break
from completion.lm import RecurrentLM
from completion.session import DocumentSession
from completion.tokens import TokenCodec
from lsp_server.documents import DocumentEvent, DocumentStore

URI = "file:///tmp/crlf.py"
PIECES = ["a", "x = 1", " ", "é", "😀", "\r\n", "\r\n    ", "\n"]


def texts(lone_cr: bool, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(PIECES + ["\r"] * lone_cr), max_size=max_size).map("".join)


@st.composite
def changes(draw: st.DrawFn, lone_cr: bool) -> types.TextDocumentContentChangeEvent:
    """A change at random client positions (the store clamps them into the document, as for any client)."""
    new_text = draw(texts(lone_cr, 4))
    if draw(st.integers(0, 9)) == 0:
        return types.TextDocumentContentChangeWholeDocument(text=new_text)
    a, b = (types.Position(draw(st.integers(0, 6)), draw(st.integers(0, 12))) for _ in range(2))
    return types.TextDocumentContentChangePartial(range=types.Range(a, b), text=new_text)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.booleans())
def test_session_text_is_the_line_feed_view_of_the_document(plus_lm: RecurrentLM, codec: TokenCodec,
                                                            data: st.DataObject, lone_cr: bool) -> None:
    store = DocumentStore()
    session: list[DocumentSession] = []
    read_again = 0  # edits the view could not follow: the session is made again from the text, as the engine does

    def forward(event: DocumentEvent) -> None:
        nonlocal read_again
        if event.kind == "open":
            session[:] = [DocumentSession(plus_lm, codec, to_lf(event.document.text))]
            return
        try:
            for edit in event.edits:
                session[0].edit_lines((edit.start.line, edit.start.col), (edit.end.line, edit.end.col), edit.new_text)
        except ValueError:
            read_again += 1
            session[:] = [DocumentSession(plus_lm, codec, to_lf(event.document.text))]

    store.listeners.append(forward)
    store.open(URI, "/tmp/crlf.py", "python", 1, data.draw(texts(lone_cr, 12)))
    for version in range(2, 8):
        store.change(URI, version, [data.draw(changes(lone_cr))], "utf-16")
        assert session[0].full_text() == to_lf(store.get(URI).text)
        assert session[0].log.all_ids().tolist() == codec.encode(session[0].full_text())
    if not lone_cr:
        assert read_again == 0  # editors send whole "\r\n"s: the view always follows them


@pytest.mark.parametrize(("start", "end", "new_text"), [
    (5, 5, "\n"),  # a "\n" right after a lone "\r"
    (6, 6, "b\r"),  # a "\r" right before a line break
    (5, 6, ""),  # a lone "\r" and a line break brought together
])
def test_a_lone_cr_meeting_a_line_break_is_refused(start: int, end: int, new_text: str) -> None:
    view = to_lf("abcd\rx\r\nz").encode()  # b"abcd\rx\nz"
    with pytest.raises(ValueError, match="line-feed view"):
        lf_replacement(view, start, end, new_text)


def test_suggestions_take_the_document_line_break() -> None:
    assert with_line_break("if x:\n    y()", "\r\n") == "if x:\r\n    y()"
    assert with_line_break("if x:\n    y()", "\n") == "if x:\n    y()"
