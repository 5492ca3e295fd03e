"""The whole CGM pipeline: localize, hand the best files and their subgraph to a reader, validate its edits.

Two steps, so that a server can run the first while the graph is consistent and the slow second anywhere:
`prepare_fix` (localization + the reader's request) and `complete_fix` (the reader + patch validation).

Without a reader the result carries the localization and a message saying how to configure one; a patch is
never made up. A reader's failure or an invalid patch is reported the same way (no patch, a message why).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.localize.embedding import Embedder
from analysis.localize.index import LocalizationIndex
from analysis.localize.pipeline import DEFAULT_K, Cancelled, Localization, localize
from analysis.localize.serialize import serialize_subgraph
from analysis.patch.apply import FileReader, Patch, PatchError, build_patch
from analysis.readers.base import ChatModel, Reader, ReaderError, ReaderRequest, SourceFile
from analysis.readers.graph_context import build_graph_context

log = logging.getLogger(__name__)

READER_FILES = 5  # files whose text the reader sees (CGM's reranker keeps 5)
FOCUS_FUNCTIONS = 5  # ranked functions whose neighbourhood fills the reader's graph first


@dataclass(frozen=True)
class FixResult:
    localization: Localization
    patch: Patch | None
    message: str | None = None  # why there is no patch (or a note about it)
    raw_reply: str = ""

    def to_json(self, k: int = DEFAULT_K) -> dict:
        """`{"patch", "files", "localization"}` (+ `"message"` when there is something to tell)."""
        out: dict = {
            "patch": self.patch.diff() if self.patch is not None else None,
            "files": self.patch.files if self.patch is not None else [],
            "localization": self.localization.to_json(k),
        }
        if self.message:
            out["message"] = self.message
        return out


@dataclass(frozen=True)
class PreparedFix:
    """Everything the reader step needs, computed while the graph is consistent (see `prepare_fix`)."""

    localization: Localization
    reader: Reader | None
    request: ReaderRequest | None
    root: Path
    read: FileReader
    missing_reader_message: str = ""


def prepare_fix(
    index: LocalizationIndex,
    issue: str,
    reader: Reader | None,
    read: FileReader,
    *,
    missing_reader_message: str = "",
    embedder: Embedder | None = None,
    definition_vectors: Mapping[Hashable, np.ndarray] | None = None,
    chat: ChatModel | None = None,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> PreparedFix:
    """Localize `issue` and build the reader's request (the best files' current texts and their subgraph)."""
    localization = localize(
        index, issue, embedder=embedder, definition_vectors=definition_vectors, chat=chat, cancelled=cancelled,
        progress=progress,
    )  # fmt: skip
    if reader is None:
        return PreparedFix(localization, None, None, index.root, read, missing_reader_message)
    top = localization.files[:READER_FILES]
    # "\n" line breaks for the reader whatever the file has: build_patch writes its edits with the file's own
    sources = tuple(SourceFile(f.path, text.replace("\r\n", "\n")) for f in top if (text := read(f.path)) is not None)
    nodes = [f.node for f in top]
    focus = [f.node for f in localization.functions[:FOCUS_FUNCTIONS]]
    request = ReaderRequest(
        issue=issue,
        files=sources,
        subgraph=serialize_subgraph(index, nodes),
        graph=build_graph_context(index.graph, nodes, focus),
    )
    return PreparedFix(localization, reader, request, index.root, read, missing_reader_message)


def complete_fix(
    prepared: PreparedFix,
    *,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> FixResult:
    """Ask the reader for edits and validate them into a patch (no graph access: any thread may run this)."""
    localization, reader = prepared.localization, prepared.reader
    if reader is None or prepared.request is None:
        return FixResult(localization, None, prepared.missing_reader_message)
    if cancelled is not None and cancelled():
        raise Cancelled("reading")
    if progress is not None:
        progress(f"asking the {reader.name} reader for a patch")
    try:
        reply = reader.read(prepared.request, cancelled)
    except ReaderError as error:
        if cancelled is not None and cancelled():
            raise Cancelled("reading") from error
        log.warning("reader failed: %s", error)
        return FixResult(localization, None, f"The {reader.name} reader failed: {error}")
    if not reply.edits:
        note = f" ({reply.dropped} incomplete block(s) dropped)" if reply.dropped else ""
        return FixResult(localization, None, f"The reader proposed no applicable edit{note}.", reply.raw)
    try:
        patch = build_patch(prepared.root, reply.edits, prepared.read)
    except PatchError as error:
        return FixResult(localization, None, "The reader's patch was rejected: " + "; ".join(error.problems), reply.raw)
    note = f"{reply.dropped} incomplete edit block(s) were dropped." if reply.dropped else None
    return FixResult(localization, patch, note, reply.raw)


def fix_issue(
    index: LocalizationIndex,
    issue: str,
    reader: Reader | None,
    read: FileReader,
    *,
    missing_reader_message: str = "",
    embedder: Embedder | None = None,
    definition_vectors: Mapping[Hashable, np.ndarray] | None = None,
    chat: ChatModel | None = None,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> FixResult:
    """`prepare_fix` then `complete_fix` in one call (the CLI's path)."""
    prepared = prepare_fix(
        index, issue, reader, read, missing_reader_message=missing_reader_message, embedder=embedder,
        definition_vectors=definition_vectors, chat=chat, cancelled=cancelled, progress=progress,
    )  # fmt: skip
    return complete_fix(prepared, cancelled=cancelled, progress=progress)
