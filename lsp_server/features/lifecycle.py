"""initialize, initialized, shutdown."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server import __version__
from lsp_server.convert import uri_to_path
from lsp_server.features import configuration, indexing
from lsp_server.logs import attach_client_log

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)


async def initialize(ls: RodimusServer, params: types.InitializeParams) -> None:
    """Read the root and the options; answer at once (indexing starts on `initialized`)."""
    attach_client_log(ls)
    ls.root = _workspace_root(params)
    configuration.apply(ls, params.initialization_options, "initializationOptions", reindex=False)
    logger.info(
        "rodimus-lsp %s: root %s, position encoding %s",
        __version__,
        ls.root or "(none: graph features are off)",
        ls.position_encoding,
    )


async def initialized(ls: RodimusServer, params: types.InitializedParams) -> None:
    indexing.start(ls)
    ls.spawn(indexing.register_watchers(ls), "register file watchers")


async def shutdown(ls: RodimusServer, params: None) -> None:
    ls.stopping.set()  # a running index stops at its next progress step


def _workspace_root(params: types.InitializeParams) -> Path | None:
    uris = [folder.uri for folder in params.workspace_folders or []]
    if params.root_uri:
        uris.append(params.root_uri)
    for uri in uris:
        if (path := uri_to_path(uri)) is not None and Path(path).is_dir():
            if len(params.workspace_folders or []) > 1:
                logger.warning("several workspace folders: only %s is indexed", path)
            return Path(path)
    if params.root_path and Path(params.root_path).is_dir():
        return Path(params.root_path)
    return None
