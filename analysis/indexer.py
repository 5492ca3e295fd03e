"""Reading and extracting many files at once, in worker processes when there are enough of them.

Workers are plain subprocesses (`python -m analysis.indexworker ROOT`): they read their job list from stdin, read,
decode and extract the files themselves and stream back pickled batches of compact results (packed `FileFacts`).
Plain subprocesses, rather than multiprocessing, never re-import the caller's `__main__` and never fork a
multithreaded server.
"""
from __future__ import annotations

import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import msgpack

from analysis.extract import extract_source
from analysis.facts import FileFacts
from analysis.scan import read_source

logger = logging.getLogger(__name__)

# Below this many files worker start-up (about a quarter second) costs more than it saves.
POOL_MIN_FILES = 200
POOL_WORKERS = 2
_BATCH = 32
_FRAME = struct.Struct("<Q")

Job = tuple[str, str, int]  # (rel, lang, size)
Result = tuple[str, "str | None", "bytes | None"]  # (rel, digest, msgpack of the facts); None: unreadable/binary
Extracted = tuple[str, "str | None", "FileFacts | None", "bytes | None"]


def extract_file(root: str, rel: str, lang: str) -> Result:
    source = read_source(Path(root) / rel, lang)
    if source is None:
        return rel, None, None
    try:
        facts = extract_source(lang, source)
    except Exception:  # a file the grammar cannot handle must not stop the index
        logger.exception("cannot extract %s", rel)
        facts = FileFacts(lang="text", text=source.text, line_count=source.text.count("\n") + 1)
    return rel, source.digest, pack_facts(facts)


def pack_facts(facts: FileFacts) -> bytes:
    """The msgpack form of a file's facts: what workers send and what the cache stores, byte for byte."""
    return msgpack.packb(facts.pack(), use_bin_type=True)


def unpack_facts(blob: bytes) -> FileFacts:
    return FileFacts.unpack(msgpack.unpackb(blob, raw=False, use_list=False))


def _write_frame(out: BinaryIO, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)))
    out.write(data)
    out.flush()


def _read_frames(src: BinaryIO, into: queue.Queue) -> None:
    try:
        while True:
            head = src.read(_FRAME.size)
            if len(head) < _FRAME.size:
                break
            into.put(pickle.loads(src.read(_FRAME.unpack(head)[0])))
    finally:
        into.put(None)


def _in_process(root: Path, jobs: Sequence[Job], progress: Callable[[int], None] | None) -> Iterator[Extracted]:
    for i, (rel, lang, _size) in enumerate(jobs):
        rel, digest, blob = extract_file(str(root), rel, lang)
        if progress is not None:
            progress(i + 1)
        yield rel, digest, unpack_facts(blob) if blob is not None else None, blob


def extract_all(root: Path, jobs: Sequence[Job], progress: Callable[[int], None] | None = None
                ) -> Iterator[Extracted]:
    """Extract every job's file; yields (rel, digest, facts, msgpack of the facts), in no particular order."""
    if len(jobs) < POOL_MIN_FILES or (os.cpu_count() or 1) < 2:
        yield from _in_process(root, jobs, progress)
        return
    # Deal the files out biggest first, so the workers finish at about the same time.
    ordered = sorted(jobs, key=lambda job: -job[2])
    shares = [ordered[i::POOL_WORKERS] for i in range(POOL_WORKERS)]
    results: queue.Queue = queue.Queue()
    workers = []
    readers = []
    for share in shares:
        try:
            worker = subprocess.Popen(
                [sys.executable, "-m", "analysis.indexworker", str(root)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, cwd=str(Path(__file__).resolve().parent.parent),
            )
        except OSError as err:
            logger.warning("cannot start an index worker (%s): extracting in this process", err)
            for w in workers:
                w.kill()
            yield from _in_process(root, jobs, progress)
            return
        worker.stdin.write(pickle.dumps([(rel, lang) for rel, lang, _size in share]))
        worker.stdin.close()
        reader = threading.Thread(target=_read_frames, args=(worker.stdout, results), daemon=True)
        reader.start()
        workers.append(worker)
        readers.append(reader)
    done = 0
    seen: set[str] = set()
    finished = 0
    try:
        while finished < len(workers):
            batch = results.get()
            if batch is None:
                finished += 1
                continue
            for rel, digest, blob in batch:
                seen.add(rel)
                done += 1
                yield rel, digest, unpack_facts(blob) if blob is not None else None, blob
            if progress is not None:
                progress(done)
    finally:
        for worker in workers:
            if finished < len(workers):  # the caller stopped early (a cancelled index): nobody wants the rest
                worker.kill()
            worker.wait()
    missing = [job for job in jobs if job[0] not in seen]
    if missing:  # a worker died: do its remaining files here
        logger.warning("an index worker stopped early: extracting %d files in this process", len(missing))
        yield from _in_process(root, missing, None)


def worker_main(root: str) -> None:
    """Extract the jobs pickled on stdin, streaming result batches to stdout; stop quietly when the reader is
    gone (the server exited or stopped listening)."""
    jobs = pickle.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    batch: list[Result] = []
    try:
        for rel, lang in jobs:
            batch.append(extract_file(root, rel, lang))
            if len(batch) >= _BATCH:
                _write_frame(out, batch)
                batch = []
        if batch:
            _write_frame(out, batch)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush does not fail again
        sys.exit(1)
