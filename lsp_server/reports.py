"""JSON shapes shared by the CLI (`--json`) and the matching `rodimus.*` commands (ARCHITECTURE.md)."""
from __future__ import annotations

from typing import Any

from analysis.types import IndexReport


def index_report_json(report: IndexReport) -> dict[str, Any]:
    """`{"files", "nodes": {TYPE: n}, "edges": {TYPE: n}, "seconds", "cache"}`."""
    return {
        "files": report.files,
        "nodes": dict(sorted(report.nodes.items())),
        "edges": dict(sorted(report.edges.items())),
        "seconds": round(report.seconds, 3),
        "cache": report.cache,
    }


def index_summary(report: IndexReport) -> str:
    """One human line: how many files and nodes, how long, whether the cache was used."""
    return (
        f"indexed {report.files} files ({sum(report.nodes.values())} nodes, {sum(report.edges.values())} edges) "
        f"in {report.seconds:.2f} s, cache {report.cache}"
    )
