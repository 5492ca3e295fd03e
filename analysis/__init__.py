"""The live code graph: tree-sitter parsing, the CGM-schema graph, incremental updates, persistence."""
from __future__ import annotations

from analysis.workspace import Workspace

__all__ = ["Workspace"]
