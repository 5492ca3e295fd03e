"""textDocument/signatureHelp: the signature of the call the cursor is in, from the code graph (Python).

Parameter labels are [start, end) offsets into the signature's label, in the session's position encoding (as
positions are), not substrings: a parameter's text may also occur earlier in the label (`max_(a, b)`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.features.target import Target, position_target
from lsp_server.positions import char_to_client_col

if TYPE_CHECKING:
    from analysis.types import Pos
    from lsp_server.server import RodimusServer

OPTIONS = types.SignatureHelpOptions(trigger_characters=["(", ","], retrigger_characters=[")"])


async def signature_help(ls: RodimusServer, params: types.SignatureHelpParams) -> types.SignatureHelp | None:
    found = await position_target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    target, pos = found
    return await ls.query(_signature_help, ls, target, pos)


def _signature_help(ls: RodimusServer, target: Target, pos: Pos) -> types.SignatureHelp | None:
    signature = target.project.signature_help(target.path, pos)
    if signature is None:
        return None
    label, encoding = signature.label, ls.position_encoding
    offsets = [(char_to_client_col(label, start, encoding), char_to_client_col(label, end, encoding))
               for start, end in signature.parameters]
    information = types.SignatureInformation(
        label=label,
        documentation=signature.documentation or None,
        parameters=[types.ParameterInformation(label=span) for span in offsets],
        active_parameter=signature.active,
    )
    return types.SignatureHelp(signatures=[information], active_signature=0, active_parameter=signature.active)
