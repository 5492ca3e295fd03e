"""The "local" reader: the CGM reader model run in-process (analysis.readers.base.Reader)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from analysis.patch.edits import parse_edits
from analysis.readers.base import ReaderError, ReaderReply, ReaderRequest
from models.cgm.checkpoint import load_reader
from models.cgm.answer import answer_text
from models.cgm.encoder import NodeEncoder
from models.cgm.items import ItemBuilder
from models.cgm.model import CGMForCausalLM
from models.cgm.prompt import find_focus
from models.tokenizer import Tokenizer

log = logging.getLogger(__name__)


class LocalReader:
    name = "local"

    def __init__(self, model: CGMForCausalLM, tokenizer: Tokenizer, encoder: NodeEncoder | None) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.encoder = encoder

    @classmethod
    def from_folder(cls, folder: str | Path, device: str = "cpu") -> LocalReader:
        """Load a reader folder and, when its config names one, the embedder folder its node vectors come from.

        Without a usable embedder (missing head, or another one than the reader was trained with) the reader runs
        on the text alone, with a warning: wrong node vectors would be worse than none.
        """
        folder = Path(folder)
        model, tokenizer = load_reader(folder, device)
        return cls(model, tokenizer, _node_encoder(folder, model, device))

    def read(self, request: ReaderRequest, cancelled: Callable[[], bool] | None = None) -> ReaderReply:
        builder = ItemBuilder(self.model.config, self.tokenizer, self.encoder)
        focus = find_focus(request.graph, request.files)
        raw = answer_text(self.model, builder, request.issue, request.files, focus, request.graph, cancelled)
        if cancelled is not None and cancelled():
            raise ReaderError("cancelled")
        parsed = parse_edits(raw)
        return ReaderReply(edits=parsed.edits, raw=raw, dropped=parsed.dropped)


def _node_encoder(folder: Path, model: CGMForCausalLM, device: str) -> NodeEncoder | None:
    config = model.config
    if not config.encoder:
        return None
    from models.embedder import CodeEmbedder

    try:
        # the head alone: the reader's adapter reads its vectors, not the search ensemble's (models/embedder.py)
        embedder = CodeEmbedder.load(folder / config.encoder, device=device, companion=False)
    except (FileNotFoundError, ValueError) as error:
        log.warning("reader %s: no node encoder (%s); reading the text alone", folder, error)
        return None
    if config.encoder_fingerprint and embedder.fingerprint != config.encoder_fingerprint:
        log.warning("reader %s was trained with another search head than %s; reading the text alone",
                    folder, folder / config.encoder)
        return None
    if embedder.dim != config.embedding_dim:
        log.warning("reader %s expects %d-d node vectors, the embedder gives %d; reading the text alone",
                    folder, config.embedding_dim, embedder.dim)
        return None
    return NodeEncoder(embedder, config.segment_tokens, config.max_segments_per_node)
