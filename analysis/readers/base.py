"""The reader interface: (issue, ranked files with their content, serialized subgraph) -> search/replace edits.

A reader is CGM's last stage. Readers and the chat models behind them are plain protocols so that the pipeline,
the CLI and the language server depend on nothing heavier than this module (no torch).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypedDict

from analysis.patch.edits import SearchReplace


class ReaderError(RuntimeError):
    """A reader or its backend failed (unreachable endpoint, HTTP error, malformed reply, cancelled)."""


class ChatMessage(TypedDict):
    role: str
    content: str


class ChatModel(Protocol):
    """Anything that answers a chat conversation with text (an OpenAI-compatible endpoint, a local model)."""

    def complete(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
    ) -> str: ...


@dataclass(frozen=True)
class SourceFile:
    """A file given to the reader: path relative to the workspace root ('/' separators) and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class GraphNode:
    """A code-graph node as CGM's reader sees it: its type and its text serialized the CGM way (cgm_cge.md 2.3)."""

    id: str
    type: str  # REPO | PACKAGE | FILE | TEXTFILE | CLASS | FUNCTION | ATTRIBUTE
    text: str


@dataclass(frozen=True)
class GraphContext:
    """The retrieved subgraph as nodes and directed edges, for readers that take graph nodes as tokens."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[int, int, str], ...]  # (source index, target index, edge type) into `nodes`


@dataclass(frozen=True)
class ReaderRequest:
    issue: str
    files: tuple[SourceFile, ...]
    subgraph: str  # the retrieved subgraph, serialized for a prompt (analysis.localize.serialize)
    graph: GraphContext | None = None  # the same subgraph as nodes + edges (for the local CGM reader)


@dataclass(frozen=True)
class ReaderReply:
    edits: tuple[SearchReplace, ...]
    raw: str  # the model's whole answer, kept for diagnostics
    dropped: int = 0  # blocks that could not be parsed (unterminated or without a file name)


class Reader(Protocol):
    name: str

    def read(self, request: ReaderRequest, cancelled: Callable[[], bool] | None = None) -> ReaderReply: ...
