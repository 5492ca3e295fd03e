"""The on-disk cache of a workspace's graph: per-file facts and resolved edges, in msgpack.

One file, `graph.msgpack`, in a cache folder outside the user's tree (`$XDG_CACHE_HOME/rodimus-lsp/<hash of the
root>/`, else `~/.cache/rodimus-lsp/...`, or the configured folder). It holds compact extraction results, never
networkx objects, so loading is a msgpack decode plus building the graph. Each file entry carries the size,
modification time and content digest it was made from; the workspace re-reads a file whose size or time differ
and keeps the entry if the digest still matches. A missing, corrupt or other-version cache loads as empty (a
warning is logged) and is rewritten by the next save.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgpack

from analysis.facts import FileFacts
from analysis.indexer import pack_facts, unpack_facts
from analysis.languages import QUERY_DIR

logger = logging.getLogger(__name__)

FORMAT_VERSION = 9  # 9: Python files in a PEP 263 encoding are read in it (analysis.text_encoding)
CACHE_FILE = "graph.msgpack"


def _schema() -> str:
    """The format version and a digest of the extraction queries: a cache made under other queries is stale."""
    digest = hashlib.sha256()
    for path in sorted(QUERY_DIR.glob("*.scm")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{FORMAT_VERSION}:{digest.hexdigest()[:16]}"


def default_cache_dir(root: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:16]
    return Path(base) / "rodimus-lsp" / f"{root.name or 'root'}-{digest}"


@dataclass
class CachedFile:
    lang: str
    size: int
    mtime_ns: int
    digest: str
    facts: FileFacts | None  # None: the file was skipped (binary)
    blob: bytes | None = None  # the facts in msgpack, when at hand (saves packing them again)


@dataclass
class CacheContent:
    files: dict[str, CachedFile] = field(default_factory=dict)
    edges: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    deps: dict[str, list[str]] = field(default_factory=dict)


def save(path: Path, root: Path, content: CacheContent) -> None:
    """Write the cache atomically (a reader never sees half a file).

    Streamed, one file's facts or edges at a time: encoding the whole payload at once held the encoded file and
    every file's flattened edges in memory together (about 0.9 GB more at the peak of a cold index of the base
    interpreter's library with its site-packages, 4.9 GB in all; runs/s10/index_phases.py)."""
    ids: dict[str, int] = {}

    def ref(node_id: str) -> int:
        found = ids.get(node_id)
        if found is None:
            found = ids[node_id] = len(ids)
        return found

    kinds = {"contains": 0, "imports": 1, "extends": 2, "calls": 3}

    def write(out: BinaryIO) -> None:
        pack = msgpack.Packer(use_bin_type=True).pack
        out.write(_map_header(6))  # the keys below
        out.write(pack("format") + pack(_schema()) + pack("root") + pack(str(root)))
        out.write(pack("files") + _map_header(len(content.files)))
        for rel, f in content.files.items():
            blob = f.blob if f.blob is not None or f.facts is None else pack_facts(f.facts)
            out.write(pack(rel) + pack([f.lang, f.size, f.mtime_ns, f.digest, blob]))
        out.write(pack("edges") + _map_header(len(content.edges)))
        for rel, file_edges in content.edges.items():
            flat: list[int] = []
            for u, v, kind in file_edges:
                flat.extend((ref(u), ref(v), kinds[kind]))
            out.write(pack(rel) + pack(flat))
        out.write(pack("ids") + pack(list(ids)))  # after the edges, which number the ids as they meet them
        out.write(pack("deps") + pack(content.deps))

    write_atomically(path, write)


def _map_header(size: int) -> bytes:
    return msgpack.Packer().pack_map_header(size)


def write_msgpack(path: Path, payload: object) -> None:
    """Write `payload` as msgpack to `path` atomically (see `write_atomically`)."""
    write_atomically(path, lambda out: msgpack.pack(payload, out, use_bin_type=True))


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call `write` on a temporary file beside `path`, then move it there: a reader never sees half a file, and
    a failed write leaves no temporary file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, root: Path) -> CacheContent:
    """The cache's content, or an empty one (with a logged warning) when it cannot be used."""
    if not path.exists():
        return CacheContent()
    try:
        with path.open("rb") as src:
            payload = msgpack.unpack(src, raw=False, use_list=False, strict_map_key=False)
        if not isinstance(payload, dict) or payload.get("format") != _schema():
            found = payload.get("format") if isinstance(payload, dict) else None
            logger.warning("graph cache %s has format %r, not %r: rebuilding it", path, found, _schema())
            return CacheContent()
        if payload.get("root") != str(root):
            logger.warning("graph cache %s belongs to %s, not %s: rebuilding it", path, payload.get("root"), root)
            return CacheContent()
        files = {}
        for rel, (lang, size, mtime_ns, digest, blob) in payload["files"].items():
            files[rel] = CachedFile(lang, size, mtime_ns, digest, unpack_facts(blob) if blob is not None else None)
        ids = payload["ids"]
        kinds = ("contains", "imports", "extends", "calls")
        edges = {}
        for rel, flat in payload["edges"].items():
            edges[rel] = [(ids[flat[i]], ids[flat[i + 1]], kinds[flat[i + 2]]) for i in range(0, len(flat), 3)]
        deps = {rel: list(keys) for rel, keys in payload["deps"].items()}
        return CacheContent(files, edges, deps)
    except Exception as err:  # a corrupt cache is never fatal: it is rebuilt
        logger.warning("graph cache %s is unreadable (%s: %s): rebuilding it", path, type(err).__name__, err)
        return CacheContent()
