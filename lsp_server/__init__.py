"""rodimus-lsp's language server and command line (pygls 2 over lsprotocol)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rodimus-lsp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
