"""Entry point of an index worker process (`python -m analysis.indexworker ROOT`), see `analysis.indexer`."""
from __future__ import annotations

import sys

from analysis.indexer import worker_main

if __name__ == "__main__":
    worker_main(sys.argv[1])
