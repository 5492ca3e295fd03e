"""Semantic search: the hover "Similar code" section, `rodimus.semanticSearch`, background embedding.

The server owns the embedder (models.embedder.CodeEmbedder, the model folder's `embedder/` head) and hands it to
the search index (analysis.search). The index follows the code graph: it is brought in step on the writer
thread before every query (cheap when the graph did not change) and after indexing and edits, and a background
thread embeds the units that lack a vector, in batches, with `$/progress` when there are many. Vectors are saved
beside the graph cache when a background run ends, so a restart is warm. Without a head (or with one trained on
other weights) search ranks with BM25 alone.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

from lsp_server.progress import WorkDone

if TYPE_CHECKING:
    from analysis.search import Changes, SearchHit, SearchIndex
    from analysis.workspace import Workspace
    from lsp_server.documents import DocumentEvent
    from lsp_server.features.hover import HoverQuery
    from lsp_server.options import ModelOptions
    from lsp_server.server import RodimusServer
    from models.embedder import CodeEmbedder

logger = logging.getLogger(__name__)

T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], Future[Any]]

SEMANTIC_SEARCH = "rodimus.semanticSearch"
DEFAULT_K = 10
MAX_K = 200
HOVER_HITS = 5
# Before answering, a query embeds the units that lack a vector itself when there are at most this many (an edit,
# a small project); more are left to the background run. A hover must stay fast; a search was asked for.
HOVER_EMBED_LIMIT = 16
SEARCH_EMBED_LIMIT = 256
PROGRESS_MIN_UNITS = 64  # background runs smaller than this report no $/progress
EDIT_DELAY_S = 0.3  # background embedding starts this long after the last edit
SAVE_EVERY_UNITS = 4096
SHUTDOWN_WAIT_S = 5.0  # at exit, the most the server waits for an embedding batch or a load to end


def open_embedder(path: str | None, device: str = "cpu") -> tuple[CodeEmbedder | None, str]:
    """The search embedder of a model folder (default: the bundled starter), or None and why not."""
    from models.embedder import HEAD_DIR, CodeEmbedder, EmbedderMismatch
    from models.starter import default_model_dir

    folder = Path(path).expanduser() if path else default_model_dir()
    if not (folder / HEAD_DIR / "config.json").is_file():
        return None, f"no search head in {folder / HEAD_DIR}: search ranks with BM25 alone"
    try:
        return CodeEmbedder.load(folder, device=device), ""
    except (EmbedderMismatch, FileNotFoundError, ValueError, OSError) as error:
        return None, f"search head not usable ({error}): search ranks with BM25 alone"


def vectors_path(project: Workspace) -> Path:
    from analysis.search.vectors import STORE_FILE

    return project.cache_path.with_name(STORE_FILE)


class _DaemonWorker:
    """One daemon thread running jobs in order. A daemon, as the completion model's worker, so that a server
    that could not stop it still exits; `close` stops it first (see `ModelWorker.shutdown` for why)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()  # None: stop
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((fn, args, future))
        return future

    def close(self, timeout: float) -> None:
        """Let the job under way end (the embedding checks the server's `stopping` between batches), run no
        other, and wait at most `timeout` seconds for the thread to end."""
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, args, future = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as error:  # noqa: BLE001 - handed to whoever awaits the job
                    future.set_exception(error)


class SearchService:
    """The search index of the server's current project, its embedder, and the background embedding."""

    def __init__(self, ls: RodimusServer) -> None:
        self._ls = ls
        self._worker = _DaemonWorker("rodimus-embed")
        self._index: SearchIndex | None = None
        self._project: Workspace | None = None
        self._version = -1
        self._embedder: CodeEmbedder | None = None
        self._model: ModelOptions | None = None
        self._loading: asyncio.Future[None] | None = None
        self._running = False
        self._again = False
        self._timer: asyncio.TimerHandle | None = None

    def shutdown(self) -> None:
        self._worker.close(SHUTDOWN_WAIT_S)

    # ---- the embedder (loaded on the embedding thread) ----

    async def ensure_embedder(self) -> None:
        """Load the embedder of the current model options if not done yet (once per options)."""
        model = self._ls.options.model
        if self._model == model and self._loading is not None:
            await asyncio.shield(self._loading)
            return
        self._model = model
        device = "cuda" if model.device == "cuda" else "cpu"
        self._loading = asyncio.wrap_future(self._worker.submit(self._load, model.path, device))
        await asyncio.shield(self._loading)

    def _load(self, path: str | None, device: str) -> None:
        embedder, why = open_embedder(path, device)
        if why:
            logger.warning("%s", why)
        else:
            logger.info("search embedder loaded from %s", path or "the bundled starter")
        self._embedder = embedder

    # ---- the index (writer thread) ----

    def sync(self) -> tuple[SearchIndex, Changes] | None:
        """Writer thread: the index of the current project (with the loaded embedder) and what changed in its graph
        since the last call; the caller applies the changes on its own thread (`SearchIndex.apply`)."""
        from analysis.search import Changes, SearchIndex
        from analysis.search.vectors import VectorStore

        project = self._ls.project
        if project is None:
            return None
        if self._index is None or self._project is not project:
            self._index, self._project, self._version = SearchIndex(project.root), project, -1
        index = self._index
        if index.embedder is not self._embedder:
            stored = VectorStore.load(vectors_path(project), self._embedder.fingerprint) if self._embedder else None
            index.set_embedder(self._embedder, stored)
        changes = Changes((), frozenset())
        if project.version != self._version:
            changes = index.collect(project.graph)
            self._version = project.version
        return index, changes

    async def ready_index(self) -> tuple[SearchIndex, Changes] | None:
        return await asyncio.wrap_future(self._ls.work.write(self.sync))

    # ---- background embedding ----

    def kick(self, delay: float = 0.0) -> None:
        """Bring the index up to date and embed what lacks a vector, in the background (after `delay` s)."""
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(delay, lambda: self._ls.spawn(self._background(), "search embedding"))

    def on_document(self, event: DocumentEvent) -> None:
        if event.kind != "close" and self._ls.project is not None:
            self.kick(EDIT_DELAY_S)

    async def _background(self) -> None:
        self._timer = None
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            await self.ensure_embedder()
            ready = await self.ready_index()
            if ready is None:
                return
            index, changes = ready
            await asyncio.wrap_future(self._worker.submit(index.apply, changes))
            count = len(index.pending())
            if count == 0:
                return
            if count < PROGRESS_MIN_UNITS:
                await asyncio.wrap_future(self._worker.submit(self._embed_all, index, None))
                return
            progress = WorkDone(self._ls, "Embedding", cancellable=True)
            async with progress:
                done = await asyncio.wrap_future(self._worker.submit(self._embed_all, index, progress))
                progress.end_message = f"{done} code units embedded"
        finally:
            self._running = False
        if self._again and not self._ls.stopping.is_set():
            self._again = False
            self.kick()

    def _embed_all(self, index: SearchIndex, progress: WorkDone | None) -> int:
        """Embedding thread: every pending unit; vectors are saved every few thousand and at the end."""
        if progress is not None:
            progress.wait_started()
        project = self._project

        def cancelled() -> bool:
            return self._ls.stopping.is_set() or (progress is not None and progress.cancelled)

        saved = 0

        def report(done: int, total: int) -> None:
            nonlocal saved
            if progress is not None:
                progress.report_threadsafe(done, total)
            if project is not None and done - saved >= SAVE_EVERY_UNITS:  # a restart keeps what is done
                index.save_vectors(vectors_path(project))
                saved = done

        done = index.embed_pending(cancelled=cancelled, progress=report)
        if project is not None and project is self._ls.project:
            index.save_vectors(vectors_path(project))
        return done

    # ---- queries ----

    async def search(self, query: str, k: int) -> list[SearchHit]:
        await self.ensure_embedder()
        ready = await self.ready_index()
        if ready is None:
            raise JsonRpcInternalError("no code graph: the workspace has no root folder")
        index, changes = ready
        return await self._ls.query(_fresh_then, index, changes, SEARCH_EMBED_LIMIT, lambda: index.search(query, k))

    async def similar(self, node_id: str, k: int) -> list[SearchHit]:
        ready = await self.ready_index()
        if ready is None:
            return []
        index, changes = ready
        return await self._ls.query(_fresh_then, index, changes, HOVER_EMBED_LIMIT,
                                    lambda: index.similar(node_id, k))  # fmt: skip


def _fresh_then(index: SearchIndex, changes: Changes, limit: int, query: Callable[[], T]) -> T:
    """Reader thread: install the graph's changes, embed the units without a vector if there are at most `limit`
    (an edit, a small project), then run `query`."""
    index.apply(changes)
    if 0 < len(index.pending()) <= limit:
        index.embed_pending()
    return query()


_services: weakref.WeakKeyDictionary[RodimusServer, SearchService] = weakref.WeakKeyDictionary()


def attach(ls: RodimusServer) -> None:
    """Give the server semantic search: the hover section, the command, and the background embedding."""
    service = _services[ls] = SearchService(ls)
    ls.hover_sections.append(similar_code_section)
    ls.documents.listeners.append(service.on_document)
    ls.index_listeners.append(lambda: service.kick())
    ls.command(SEMANTIC_SEARCH)(semantic_search_command)
    ls.closers.append(service.shutdown)


def service_of(ls: RodimusServer) -> SearchService | None:
    """The server's search service (None when search is not attached): other features reuse its embedder and
    index instead of loading their own."""
    return _services.get(ls)


# ---- hover ----


async def similar_code_section(ls: RodimusServer, query: HoverQuery) -> str | None:
    """"Similar code": the symbol's nearest units as `file:line` links (the symbol itself excluded)."""
    facts = query.facts
    if facts is None or not facts.node_id or ls.project is None:
        return None
    hits = await _services[ls].similar(facts.node_id, HOVER_HITS)
    if not hits:
        return None
    texts = ls.texts()
    root = ls.project.root
    lines = ["**Similar code**", ""]
    for hit in hits:
        where = f"{hit.path}:{hit.start_line}"
        uri = texts.uri(str(root / hit.path))
        lines.append(f"- [{where}]({uri}#L{hit.start_line}) `{hit.name}`")
    return "\n".join(lines)


# ---- command ----


async def semantic_search_command(ls, *args: Any) -> list[dict[str, Any]]:
    """`rodimus.semanticSearch [{"query", "k"}]`: what `rodimus-lsp search ROOT QUERY -k K --json` prints."""
    first = args[0] if args else None
    if isinstance(first, list) and first:  # pygls passes the `arguments` list as the positional arguments
        first = first[0]
    if not isinstance(first, dict) or not isinstance(first.get("query"), str) or not first["query"].strip():
        raise JsonRpcInvalidParams('expected arguments [{"query": "...", "k": 10}]')
    k = first.get("k", DEFAULT_K)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise JsonRpcInvalidParams(f'"k" must be an integer from 1 to {MAX_K}')
    hits = await _services[ls].search(first["query"], k)
    return [hit.to_json() for hit in hits]
