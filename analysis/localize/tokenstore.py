"""Token counts of files, as arrays over one vocabulary, kept across index builds and persisted in msgpack.

Tokenizing a repository is most of what building a localization index costs (about 30 MB of source for the
standard library). A file's counts depend only on its path, text and definition layout, so they are stored under
a digest of those: an index rebuilt after an edit, or in a new process with the store loaded from disk,
tokenizes only the files that changed.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import msgpack
import numpy as np

from analysis.persist import write_msgpack

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
STORE_FILE = "localize-tokens.msgpack"

TermCounts = tuple[np.ndarray, np.ndarray]  # (term ids int32, counts float32), one entry per distinct term


@dataclass(frozen=True)
class Documents:
    """Several documents' counts back to back: document i owns entries [offset(i), offset(i) + sizes[i])."""

    ids: np.ndarray  # int32
    counts: np.ndarray  # float32
    sizes: np.ndarray  # int64, distinct terms per document

    @classmethod
    def of(cls, parts: list[TermCounts]) -> Documents:
        if not parts:
            return cls(np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.int64))
        return cls(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.fromiter((len(p[0]) for p in parts), dtype=np.int64, count=len(parts)),
        )

    @classmethod
    def concatenate(cls, blocks: list[Documents]) -> Documents:
        if not blocks:
            return cls.of([])
        return cls(*(np.concatenate([getattr(b, name) for b in blocks]) for name in ("ids", "counts", "sizes")))


@dataclass(frozen=True)
class FileTokens:
    """Counts of a whole file (one document), of each definition's own lines (one document per definition,
    in the order of the file's definitions) and of the file's skeleton: its path and definition names (one)."""

    file: Documents
    definitions: Documents
    skeleton: Documents


class TokenStore:
    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.entries: dict[str, FileTokens] = {}
        self.dirty = False

    def term_counts(self, counts: Counter[str]) -> TermCounts:
        """Counts as arrays over this store's vocabulary (new terms get new ids)."""
        vocabulary = self.vocabulary
        ids = np.fromiter(
            (vocabulary.setdefault(term, len(vocabulary)) for term in counts), dtype=np.int32, count=len(counts)
        )
        return ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def put(self, key: str, tokens: FileTokens) -> None:
        self.entries[key] = tokens
        self.dirty = True

    def keep_only(self, keys: set[str]) -> None:
        """Forget the entries of files that are gone or changed."""
        stale = self.entries.keys() - keys
        for key in stale:
            del self.entries[key]
        self.dirty |= bool(stale)

    def save(self, path: Path) -> None:
        """Write atomically; a failure is logged, never raised (the store is only a cache)."""

        def arrays(documents: Documents) -> list[bytes]:
            return [documents.ids.tobytes(), documents.counts.tobytes(), documents.sizes.tobytes()]

        payload = {
            "format": FORMAT_VERSION,
            "vocabulary": list(self.vocabulary),
            "entries": {
                key: [arrays(t.file), arrays(t.definitions), arrays(t.skeleton)] for key, t in self.entries.items()
            },
        }
        try:
            write_msgpack(path, payload)
            self.dirty = False
        except OSError as error:
            log.warning("cannot write the localization token store %s: %s", path, error)

    @classmethod
    def load(cls, path: Path) -> TokenStore:
        """The store saved at `path`; an empty one when it is missing, unreadable or of another format."""
        store = cls()
        try:
            payload = msgpack.unpackb(path.read_bytes(), raw=False)
            if payload.get("format") != FORMAT_VERSION:
                return store
            store.vocabulary = {term: i for i, term in enumerate(payload["vocabulary"])}

            def arrays(triple: list[bytes]) -> Documents:
                ids, counts, sizes = triple
                return Documents(
                    np.frombuffer(ids, np.int32), np.frombuffer(counts, np.float32), np.frombuffer(sizes, np.int64)
                )

            store.entries = {key: FileTokens(*map(arrays, parts)) for key, parts in payload["entries"].items()}
        except FileNotFoundError:
            return store
        except (OSError, ValueError, KeyError, TypeError, msgpack.UnpackException) as error:
            log.warning("ignoring the unreadable localization token store %s: %s", path, error)
            return cls()
        return store
