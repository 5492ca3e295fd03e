"""A validated patch -> an LSP `WorkspaceEdit` that the client applies (the server never writes files).

Each changed file becomes line-granular `TextEdit`s from a line diff of its old and new text, so the editor's
preview shows only what changed; a file the patch creates becomes a `CreateFile` + `TextDocumentEdit` when the
client supports resource operations.
"""
from __future__ import annotations

import difflib
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from analysis.patch.apply import FileChange, Patch
from lsp_server.documents import Lines
from lsp_server.positions import Encoding, char_to_client_col


def workspace_edit(root: Path, patch: Patch, encoding: Encoding, can_create: bool) -> types.WorkspaceEdit:
    """Raises ValueError when the patch creates a file and the client cannot create files."""
    changes: dict[str, list[types.TextEdit]] = {}
    created: list[tuple[str, str]] = []
    for change in patch.changes:
        uri = from_fs_path(str(root / change.path)) or (root / change.path).as_uri()
        if change.old is None:
            created.append((uri, change.new))
        else:
            changes[uri] = text_edits(change, encoding)
    if not created:
        return types.WorkspaceEdit(changes=changes)
    if not can_create:
        raise ValueError("the patch creates files and this client cannot create files through an edit")
    operations: list = [
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None), edits=list(edits)
        )
        for uri, edits in changes.items()
    ]
    for uri, text in created:
        operations.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False)))
        operations.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(types.Position(0, 0), types.Position(0, 0)), new_text=text)],
            )
        )
    return types.WorkspaceEdit(document_changes=operations)


def text_edits(change: FileChange, encoding: Encoding) -> list[types.TextEdit]:
    """Replace only the changed lines; the edits do not overlap and refer to the old text."""
    old_lines = (change.old or "").splitlines(keepends=True)
    new_lines = change.new.splitlines(keepends=True)
    lines = Lines(change.old or "")
    edits = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            types.TextEdit(
                range=types.Range(_line_start(lines, i1, encoding), _line_start(lines, i2, encoding)),
                new_text="".join(new_lines[j1:j2]),
            )
        )
    return edits


def _line_start(lines: Lines, line: int, encoding: Encoding) -> types.Position:
    """The start of `line`, or the end of the text when `line` is past the last line break."""
    if line < len(lines):
        return types.Position(line, 0)
    last = len(lines) - 1
    return types.Position(last, char_to_client_col(lines.content(last), 1 << 30, encoding))
