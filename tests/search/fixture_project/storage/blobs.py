"""A content-addressed blob store."""
import hashlib
import os
import shutil


def blob_digest(filename):
    digest = hashlib.sha256()
    with open(filename, "rb") as stream:
        for block in iter(lambda: stream.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


class BlobStore:
    """Keeps files under the digest of their content."""

    def __init__(self, root):
        self.root = root

    def put(self, filename):
        key = blob_digest(filename)
        shutil.copyfile(filename, os.path.join(self.root, key))
        return key

    def has(self, key):
        return os.path.exists(os.path.join(self.root, key))
