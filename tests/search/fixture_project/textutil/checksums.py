"""Checksums of files on disk."""
import hashlib

CHUNK_SIZE = 1 << 16


def file_checksum(path):
    """Return the SHA-256 hex digest of the file at `path`, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def slugify(title):
    """Turn a title into a lower-case, dash-separated slug for URLs."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)
