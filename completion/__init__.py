"""Inline completions from Rodimus with a persistent recurrent state per open document.

The server uses `CompletionEngine` (engine.py): documents go in as edits, requests come back as
`CompletionResult`s. Underneath, one module per job:

    session.py      DocumentSession: text, token log, model state at the cursor, checkpoints
    retokenize.py   re-tokenize only around an edit (tokens.py: why that is exact)
    checkpoints.py  state snapshots, thinned with distance from the cursor
    sessions.py     one session per document under a memory budget (LRU eviction)
    worker.py       the model thread: ordered updates, newest request first, catch-up when idle
    policy.py       skip / line / block from tree-sitter at the cursor (languages.py: per-language facts)
    generate.py     token-by-token generation with a cancel flag (sampling.py, stop.py)
    postprocess/    pure filters on the generated text
    cache.py        type-through cache; latest.py latest-wins tickets; debounce.py Automatic-trigger delay
"""
