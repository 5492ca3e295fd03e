"""The preamble every position request shares: which file and which analysis position it points at."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from analysis.types import Pos
from lsp_server.convert import to_pos, uri_to_path

if TYPE_CHECKING:
    from analysis.workspace import Workspace
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    uri: str
    path: str
    project: Workspace


def file_target(ls: RodimusServer, uri: str) -> Target | None:
    """The file a request is about, or None (and a log line) when the graph cannot answer for it."""
    project = ls.project
    if project is None:
        return None
    document = ls.documents.get(uri)
    if document is not None and document.held_back:  # the graph has its file on disk, not this text
        logger.debug("no code graph for %s while it is over the size limit", uri)
        return None
    path = uri_to_path(uri)
    if path is None:
        logger.debug("no code graph for %r: not a file URI", uri)
        return None
    return Target(uri, path, project)


async def position_target(ls: RodimusServer, uri: str, position: types.Position) -> tuple[Target, Pos] | None:
    """The file and UTF-8 position a request points at; None for an unknown file or a line past the end.

    An open document converts on the loop; any other file's text comes from the graph, in a worker (the
    graph may be busy indexing, and the loop must never wait for it).
    """
    target = file_target(ls, uri)
    if target is None:
        return None
    document = ls.documents.get(uri)
    lines = document.lines if document is not None else await ls.query(ls.texts().lines, target.path)
    if lines is None:
        logger.debug("no text for %s", uri)
        return None
    pos = to_pos(lines, position, ls.position_encoding)
    if pos is None:
        logger.debug("position %d:%d is past the end of %s (%d lines)", position.line, position.character, uri, len(lines))
    return (target, pos) if pos is not None else None
