"""Unit vectors by content digest, persisted in msgpack beside the graph cache.

A vector depends only on the unit's kind and text and on the embedder, so it is stored under the digest of
kind and text (see units.py) and the whole store is tagged with the embedder's fingerprint: after a restart,
only units whose text changed are embedded again, and vectors of another embedder are never mixed in.
"""
from __future__ import annotations

import logging
from pathlib import Path

import msgpack
import numpy as np

from analysis.persist import write_msgpack

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
STORE_FILE = "search-vectors.msgpack"


class VectorStore:
    def __init__(self, fingerprint: str = "") -> None:
        self.fingerprint = fingerprint
        self.vectors: dict[str, np.ndarray] = {}  # digest -> float32 [D], unit norm
        self.dirty = False

    def __len__(self) -> int:
        return len(self.vectors)

    def get(self, digest: str) -> np.ndarray | None:
        return self.vectors.get(digest)

    def put(self, digest: str, vector: np.ndarray) -> None:
        """Keep `vector` at float16 precision, so results are the same before and after a save and load."""
        self.vectors[digest] = np.asarray(vector, dtype=np.float16).astype(np.float32)
        self.dirty = True

    def keep_only(self, digests: set[str]) -> None:
        """Forget the vectors of texts that are gone (edited functions' old versions)."""
        stale = self.vectors.keys() - digests
        for digest in stale:
            del self.vectors[digest]
        self.dirty |= bool(stale)

    def save(self, path: Path) -> None:
        """Write atomically (float16); a failure is logged, never raised (the store is only a cache)."""
        digests = list(self.vectors)
        matrix = np.stack([self.vectors[d] for d in digests]).astype(np.float16) if digests else np.zeros((0, 0))
        payload = {
            "format": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "digests": digests,
            "dim": int(matrix.shape[1]) if digests else 0,
            "matrix": matrix.tobytes(),
        }
        try:
            write_msgpack(path, payload)
            self.dirty = False
        except OSError as error:
            log.warning("cannot write the search vectors %s: %s", path, error)

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> VectorStore:
        """The store at `path` if it was made by the embedder with this fingerprint; else an empty one."""
        store = cls(fingerprint)
        try:
            payload = msgpack.unpackb(path.read_bytes(), raw=False)
            if payload.get("format") != FORMAT_VERSION or payload.get("fingerprint") != fingerprint:
                return store
            digests, dim = payload["digests"], int(payload["dim"])
            matrix = np.frombuffer(payload["matrix"], dtype=np.float16).reshape(len(digests), dim)
            store.vectors = dict(zip(digests, matrix.astype(np.float32)))
        except FileNotFoundError:
            return store
        except (OSError, ValueError, KeyError, TypeError, msgpack.UnpackException) as error:
            log.warning("ignoring the unreadable search vectors %s: %s", path, error)
            return cls(fingerprint)
        return store
