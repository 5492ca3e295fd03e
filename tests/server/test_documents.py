"""The document store: incremental changes against a from-scratch splice, the edits it publishes, and the
documents it holds back from its listeners while they are over its size limit."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from analysis.types import Pos, TextEdit
from lsp_server.documents import DocumentEvent, DocumentStore, Lines
from lsp_server.positions import ENCODINGS, char_to_client_col

URI = "file:///tmp/t%C3%A9st.py"
# Lone "\r" is left out: LSP counts it as a line break, tree-sitter (and so the store) does not.
def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from([*"ab \n\tßé中😀𠀀", "\r\n"]), max_size=max_size).map("".join)


def apply_edit_to_text(text: str, edit: TextEdit) -> str:
    """The analysis side's reading of a TextEdit: (line, UTF-8 byte column) on the text before it."""
    data = text.encode()
    starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    start, end = starts[edit.start.line] + edit.start.col, starts[edit.end.line] + edit.end.col
    return (data[:start] + edit.new_text.encode() + data[end:]).decode()


@st.composite
def changes(draw: st.DrawFn, text: str, encoding: str) -> tuple[types.TextDocumentContentChangeEvent, str]:
    """A random change in client units, and the text it must produce."""
    new_text = draw(texts(6))
    if draw(st.integers(0, 9)) == 0:
        return types.TextDocumentContentChangeWholeDocument(text=new_text), new_text
    a, b = sorted(draw(st.integers(0, len(text))) for _ in range(2))

    def position(offset: int) -> types.Position:
        line = text.count("\n", 0, offset)
        line_start = text.rfind("\n", 0, offset) + 1
        return types.Position(line, char_to_client_col(text[line_start:], offset - line_start, encoding))

    if "\r\n" in text[max(a - 1, 0) : a + 1] or "\r\n" in text[max(b - 1, 0) : b + 1]:
        return types.TextDocumentContentChangeWholeDocument(text=new_text), new_text  # never inside a CRLF
    change = types.TextDocumentContentChangePartial(range=types.Range(position(a), position(b)), text=new_text)
    return change, text[:a] + new_text + text[b:]


@settings(max_examples=150, deadline=None)
@given(st.data(), texts(30), st.sampled_from(ENCODINGS))
def test_incremental_changes_equal_splicing_the_whole_text(data: st.DataObject, text: str, encoding: str) -> None:
    store, events = DocumentStore(), []
    store.listeners.append(events.append)
    store.open(URI, "/tmp/tést.py", "python", 1, text)
    mirrored = text  # what a listener rebuilds from the published TextEdits alone
    for version in range(2, 6):
        change, text = data.draw(changes(store.get(URI).text, encoding))
        store.change(URI, version, [change], encoding)
        assert store.get(URI).text == text
        assert store.get(URI).lines.text == "".join(Lines(text)._lines)
        for edit in events[-1].edits:
            mirrored = apply_edit_to_text(mirrored, edit)
        assert mirrored == text
    assert [event.kind for event in events] == ["open"] + ["change"] * 4


@settings(max_examples=150, deadline=None)
@given(st.data(), texts(30), st.sampled_from(ENCODINGS), st.integers(0, 40))
def test_listeners_see_a_document_only_while_it_is_within_the_size_limit(
    data: st.DataObject, text: str, encoding: str, max_bytes: int
) -> None:
    store = DocumentStore(max_bytes=max_bytes)
    mirrored: dict[str, str] = {}  # what a listener holds, rebuilt from the events alone
    wrong: list[DocumentEvent] = []  # events that do not fit what the listener was told before

    def listen(event: DocumentEvent) -> None:
        if (event.kind == "open") == (URI in mirrored):
            wrong.append(event)
        elif event.kind == "open":
            mirrored[URI] = event.document.text
        elif event.kind == "change":
            for edit in event.edits:
                mirrored[URI] = apply_edit_to_text(mirrored[URI], edit)
        else:
            del mirrored[URI]

    store.listeners.append(listen)
    store.open(URI, "/tmp/tést.py", "python", 1, text)
    for version in range(2, 8):
        within = len(text.encode()) <= max_bytes
        assert mirrored == ({URI: text} if within else {})
        assert [d.uri for d in store.analysed()] == ([URI] if within else [])
        change, text = data.draw(changes(store.get(URI).text, encoding))
        store.change(URI, version, [change], encoding)
        assert store.get(URI).text == text and store.get(URI).lines.nbytes == len(text.encode())
    store.close(URI)
    assert mirrored == {} and wrong == []


def test_several_changes_in_one_notification_apply_in_order() -> None:
    store = DocumentStore()
    store.open(URI, None, "python", 1, "größe = 1\n")
    first = types.TextDocumentContentChangePartial(range=types.Range(types.Position(0, 0), types.Position(0, 5)), text="x")
    second = types.TextDocumentContentChangePartial(range=types.Range(types.Position(0, 1), types.Position(0, 1)), text="😀")
    store.change(URI, 2, [first, second], "utf-16")
    assert store.get(URI).text == "x😀 = 1\n"


def test_published_edits_are_utf8_byte_positions_on_the_text_before() -> None:
    store, events = DocumentStore(), []
    store.listeners.append(events.append)
    store.open(URI, None, "python", 1, "a😀b\n")
    change = types.TextDocumentContentChangePartial(range=types.Range(types.Position(0, 3), types.Position(0, 4)), text="c")
    store.change(URI, 2, [change], "utf-16")
    assert events[-1] == DocumentEvent("change", store.get(URI), (TextEdit(Pos(0, 5), Pos(0, 6), "c"),))


def test_out_of_range_edits_clamp_to_the_end() -> None:
    store = DocumentStore()
    store.open(URI, None, "python", 1, "ab\ncd")
    change = types.TextDocumentContentChangePartial(range=types.Range(types.Position(1, 99), types.Position(7, 0)), text="!")
    store.change(URI, 2, [change], "utf-16")
    assert store.get(URI).text == "ab\ncd!"


def test_uris_match_whatever_characters_a_client_percent_encodes() -> None:
    store = DocumentStore()
    store.open(URI, None, "python", 1, "x")
    assert store.get("file:///tmp/tést.py") is store.get(URI)
    assert store.close("file:///tmp/t%c3%a9st.py") is not None


def test_a_failing_listener_does_not_stop_the_others() -> None:
    store, seen = DocumentStore(), []
    store.listeners.extend([lambda event: 1 / 0, seen.append])
    store.open(URI, None, "python", 1, "x")
    assert [event.kind for event in seen] == ["open"]


def test_lone_surrogates_become_encodable() -> None:
    store = DocumentStore()
    assert store.open(URI, None, "python", 1, "a\ud800b").text == "a?b"
