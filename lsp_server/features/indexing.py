"""Building the code graph in the background: the first index, rebuilds, `rodimus.reindex`, file watching.

Every build is queued on the writer thread (work.py) together with a snapshot of the open documents taken
at the same moment, so the edits queued after it apply on top of exactly that text.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError

from analysis.types import IndexReport
from lsp_server.options import IndexOptions
from lsp_server.progress import WorkDone
from lsp_server.reports import index_report_json, index_summary

if TYPE_CHECKING:
    from analysis.workspace import Workspace
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)

REINDEX = "rodimus.reindex"


class IndexCancelled(Exception):
    """Raised from the progress callback to stop an index (shutdown, or the user pressed cancel)."""


def start(ls: RodimusServer) -> None:
    """Build a new graph of `ls.root` with the current options and swap it in when done."""
    if ls.root is None:
        return
    progress = WorkDone(ls, "Indexing", cancellable=True)
    snapshot = [(document.path, document.text) for document in ls.documents.analysed() if document.path]
    job = ls.work.write(_build, ls, ls.root, ls.options.index, snapshot, progress)
    ls.spawn(_report(ls, progress, asyncio.wrap_future(job)), "index")


async def reindex(ls: RodimusServer) -> dict[str, Any]:
    """`rodimus.reindex`: refresh the graph from disk; returns what `rodimus-lsp index --json` prints."""
    project = ls.project
    if project is None:
        raise JsonRpcInternalError("no code graph: the workspace has no root folder")
    progress = WorkDone(ls, "Indexing", cancellable=True)
    job = ls.work.write(_index, ls, project, progress)
    report = await _report(ls, progress, asyncio.wrap_future(job))
    if report is None:
        raise JsonRpcInternalError("indexing failed or was cancelled (see the server log)")
    return index_report_json(report)


async def register_watchers(ls: RodimusServer) -> None:
    """Ask the client to send file changes (and configuration changes) if it supports registering them."""
    workspace = ls.client_capabilities.workspace
    registrations = []
    if workspace and workspace.did_change_watched_files and workspace.did_change_watched_files.dynamic_registration:
        watchers = [types.FileSystemWatcher(glob_pattern="**/*")]
        registrations.append(
            types.Registration(
                id="rodimus-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
        )
    if workspace and workspace.did_change_configuration and workspace.did_change_configuration.dynamic_registration:
        registrations.append(
            types.Registration(
                id="rodimus-configuration",
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section="rodimus"),
            )
        )
    if not registrations:
        return
    try:
        # shielded: a cancelled task awaiting a client reply crashes pygls 2.1.1 (issue #621)
        await asyncio.shield(ls.client_register_capability_async(types.RegistrationParams(registrations=registrations)))
    except Exception as exc:
        logger.warning("client refused to register %s: %s", [r.method for r in registrations], exc)


async def _report(ls: RodimusServer, progress: WorkDone, job: asyncio.Future[IndexReport | None]) -> IndexReport | None:
    """Progress around a queued index job, and its outcome for the user; None if it failed or was cancelled."""
    async with progress:
        try:
            report = await job
        except Exception as exc:  # the writer thread has logged the traceback
            progress.end_message = f"failed: {exc}"
            message = f"rodimus-lsp: indexing failed: {exc}"
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
            return None
        progress.end_message = index_summary(report) if report is not None else "cancelled"
    if report is None:
        logger.warning("indexing cancelled: the code graph may be incomplete (run %s to finish it)", REINDEX)
    else:
        logger.info("%s", index_summary(report))
        for listener in ls.index_listeners:
            listener()
    return report


def _build(
    ls: RodimusServer,
    root: Path,
    options: IndexOptions,
    snapshot: list[tuple[str, str]],
    progress: WorkDone,
) -> IndexReport | None:
    """Writer thread: a new Workspace, indexed, with the snapshot's open documents; then swapped in."""
    from analysis.workspace import Workspace  # the graph stack loads only when a server really indexes

    project = Workspace(root, exclude=options.exclude, cache_dir=options.cache_dir)
    try:
        return _index(ls, project, progress)
    finally:
        for path, text in snapshot:
            project.open(path, text)
        ls.project = project


def _index(ls: RodimusServer, project: Workspace, progress: WorkDone) -> IndexReport | None:
    progress.wait_started()

    def step(done: int, total: int) -> None:
        if ls.stopping.is_set() or progress.cancelled:
            raise IndexCancelled
        progress.report_threadsafe(done, total)

    try:
        return project.index(progress=step)
    except IndexCancelled:
        return None
