"""The server's completion settings reach the completion engine (`CompletionService` between them)."""
from __future__ import annotations

from pathlib import Path

from completion.options import NO_CACHE, CacheOptions
from lsp_server.documents import DocumentStore
from lsp_server.features.ai_completion import CompletionService
from lsp_server.options import Options, load_options


class FakeServer:
    """What `CompletionService` reads of the language server: its options and open documents."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.documents = DocumentStore()


def test_the_document_cache_setting_reaches_the_engine(tiny_model_dir: Path) -> None:
    model = {"path": str(tiny_model_dir)}
    server = FakeServer(load_options({"model": model, "completion": {"documentCache": False}}).options)
    service = CompletionService(server)  # type: ignore[arg-type]
    try:
        engine = service.engine()
        assert engine.generation.cache == NO_CACHE
        server.options = load_options({"model": model}).options  # the default: on
        assert service.engine() is engine and engine.generation.cache == CacheOptions()
    finally:
        service.shutdown()
