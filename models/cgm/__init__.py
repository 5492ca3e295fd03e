"""CGM reader: a graph-aware LLM that reads code-graph nodes and an issue and writes search/replace edits."""
