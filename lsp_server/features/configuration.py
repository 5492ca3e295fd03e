"""Options from `initializationOptions` and `workspace/didChangeConfiguration` (section `rodimus`)."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features import indexing
from lsp_server.options import load_options, to_wire

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)

SECTION = "rodimus"


async def did_change_configuration(ls: RodimusServer, params: types.DidChangeConfigurationParams) -> None:
    """Take the `rodimus` section from the pushed settings, or pull it if the client only signals a change."""
    settings = params.settings
    if isinstance(settings, dict) and SECTION in settings:
        apply(ls, settings[SECTION], "workspace/didChangeConfiguration")
        return
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        logger.info("didChangeConfiguration without a %r section: nothing to apply", SECTION)
        return
    request = types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
    try:
        # shielded: a cancelled task awaiting a client reply crashes pygls 2.1.1 (issue #621)
        (raw,) = await asyncio.shield(ls.workspace_configuration_async(request))
    except Exception as exc:
        logger.warning("could not read the %r configuration: %s", SECTION, exc)
        return
    apply(ls, raw, "workspace/configuration")


def apply(ls: RodimusServer, raw: Any, source: str, *, reindex: bool = True) -> None:
    """Replace the options; report invalid values to the user; rebuild the graph if its options changed."""
    loaded = load_options(raw)
    if loaded.problems:
        message = f"rodimus-lsp: invalid options in {source} (defaults used instead): " + "; ".join(loaded.problems)
        logger.warning("%s", message)
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))
    previous, ls.options = ls.options, loaded.options
    logger.info("options from %s: %s", source, json.dumps(to_wire(ls.options), sort_keys=True))
    for listener in ls.options_listeners:
        listener()
    if reindex and previous.index != ls.options.index:
        logger.info("index options changed: rebuilding the code graph")
        indexing.start(ls)
