"""Inline completion cost against document length: Rodimus sessions vs a same-size Transformer, and over LSP.

Usage:
    .venv/bin/python bench/completion.py [--model DIR] [--sizes 1024,8192,32768,65536] [--chars 200]
        [--lsp-chars 30] [--kv-keys 40] [--nocache-keys 8] [--window 4096]
        [--png bench/out/completion.png] [--json bench/out/completion.json]

Documents are real Python (the standard library's files, in sorted order) cut to N tokens. A 200-character
snippet is typed one character at a time at the end of the document and then after a line in its middle.

- ours: a `DocumentSession` of the model (default: the bundled starter checkpoint, with the server's default
  prompt format: the prefix alone, its last token healed; --fim for PSM); a keystroke is the edit
  (re-tokenize around it) plus `sync` (roll back to a checkpoint, feed the changed tokens). The first keystroke
  after the jump to the middle is reported apart ("jump"): it re-feeds from the nearest checkpoint.
  Memory: the session's model state in memory (live state, request copy, resident checkpoints), and beside it
  the checkpoints spilled to the session's temporary file (`completion.spill`). The session's resident count
  is sized as the server sizes it (its share of --state-budget-mb, `Sessions.share_bytes`).
- far jump: right after the document is opened (state at the end), the first keystroke at the start, at the
  middle, and anywhere (the worst of nine places from 10 % to 90 %), each on a copy of the session: tokens
  re-fed and ms (wall and CPU: the machine is shared, CPU time is the steadier figure). Beside it, counted
  (the rollback only, no model run) for the fine checkpoints alone, thinned with distance from the cursor as
  the sessions kept them before the uniform grid ("baseline").
- tf-kv (baseline a): a Llama/Qwen2-style Transformer of the same width and depth (models/transformer.py,
  random weights) keeping a KV cache of the prefix; a keystroke truncates the cache at the first changed
  token and feeds the tokens from there to the cursor. Its cache is filled with random keys and values (the
  contents do not change the cost; a real quadratic 64K-token prefill would dominate the run).
- tf-nocache (baseline b): the same Transformer re-encoding its context window (the last --window tokens
  before the cursor) on every keystroke.
- requests in process: after the typing, `--requests` requests at the end and in the middle, each finding
  no prompt prepared ahead (as when the worker was busy): the prompt on a copy of the state, then `generate`
  as the server runs it, greedy with `stop_early=False` (no stop rule, no end-of-text) for exactly 16 tokens
  (the full cost of a line). "first token" is the first token of the completion itself (after the healing
  picks that re-produce the prefix's last token). The state is brought to each position by one untimed
  request first.
- lsp: `rodimus-lsp serve` over stdio with the same model, started with $RODIMUS_COMPLETION_NO_STOP=1 (the
  same `stop_early=False`: every answer is exactly maxTokens tokens, never cut short by a stop rule); typing
  at the end, then in the middle (the FIM suffix window is then full); after each typed character (and a
  60 ms pause, less than the 75 ms debounce an Automatic trigger would wait) an Invoked inlineCompletion
  request, with maxTokens 1 ("first token") and then 16 ("16-token line"), timed from send to answer.
  inlineCompletion does not stream, so "first token" is a whole request that generates one completion
  token. In the pause the server's worker prepares the prompt and its healing at the cursor
  (`DocumentSession.prepare`); "no pause" sends the request right after the keystroke, so it usually finds
  that work unfinished (the request races the keystroke). An answer that is the previous suggestion less
  the typed character came from the type-through cache and is counted apart ("type-through").
  The first request, right after didOpen at the end (the model already loaded by a request on a one-line
  document), is answered from the 1,024 tokens before the cursor while
  the server's worker brings the document's state up in the background ("after open", ms; see
  completion/session.py, "Cold requests"); the typing starts once that catch-up is done (the bench waits 1.5x
  the in-process "open + prefill" time), so the typing figures are the steady state an editor gets.

Sample output (commit 76479aa, default arguments; quiet machine, load average 0.7 at the start):
     tokens |      ours end |   ours middle |    jump | ours MiB | spilled |     tf-kv end |  tf-kv middle | tf-kv MiB | ...
       1024 |   0.07/  4.29 |   0.10/  4.52 |   109.1 |     15.4 |     1.4 |   2.56/  2.99 |   2.30/  2.41 |       1.0 | ...
       8192 |   0.07/  3.45 |   0.10/  3.39 |    95.6 |     15.4 |    22.4 |   6.13/  6.67 |   4.63/  5.14 |       8.8 | ...
      32768 |   0.07/  4.93 |   0.11/  4.28 |   116.5 |     15.4 |    89.5 |  18.89/ 22.32 |  10.07/ 10.79 |      32.4 | ...
      65536 |   0.07/  3.66 |   0.10/  3.94 |    67.2 |     15.4 |   179.0 |  35.14/ 43.11 |  18.43/ 21.75 |      64.4 | ...
    far jump: tokens re-fed  ms wall/CPU (anywhere: worst of 9 places); baseline: fine checkpoints only, counted
     tokens | spacing | MiB open |     start     |      middle     |     anywhere    | baseline start/middle/anywhere
       1024 |     512 |     12.6 |  8   21/  21  |  488  111/ 111  |  488  104/ 104  |      8 /   488 /   488
       8192 |     512 |     12.6 |  8   29/  29  |  410   96/  96  |  410   95/  95  |      8 /   410 /  3711
      32768 |     512 |     12.6 |  8   23/  23  |  216   78/  78  |  467  122/ 122  |      8 /   216 / 13456
      65536 |     512 |     12.6 |  8   19/  19  |  203   78/  78  |  441   97/  97  |      8 /   203 / 26999
    in process, ms p50/p95: first token 8.3-13.7 / 9.0-15.4; 16 tokens 86.6-101.0 / 94.8-109.9
    over LSP, ms p50/p95  | first, end | first, middle | first, no pause | 16-token line (15.8 tokens mean)
       1024               |  2.6/  6.6 |   2.7/  5.1   |   14.2/ 19.4    |   84.3/ 91.5
       8192               |  3.5/  5.9 |   2.9/  5.5   |   16.8/ 22.3    |   91.0/ 97.5
      32768               |  4.3/  6.0 |   3.0/  5.1   |   17.4/ 34.0    |   93.7/100.7
      65536               |  3.0/  4.8 |   2.6/  5.3   |   15.3/ 20.8    |   82.8/104.4
    check: keystroke p50 at 65536 / at 1024 tokens = 0.99 (target <= 1.2)
In the default prompt format a keystroke inside a word leaves the anchor where it is (p50: no model work);
the p90 column is the keystrokes that feed tokens. A model step of the starter costs 3.7 ms of CPU without
the LM head and 5.7 ms with it on a quiet core (about 9 ms wall at load 2-4), so 16 tokens are about
100 ms quiet (150-210 ms at load 2-4; an earlier run at load 3.9 -> 2.2 measured the LSP 16-token line at p95
181-211 ms). The no-pause first token races the server's own didChange handling, which it waits behind.
With the document cache model mixed into every pick (session 8, `completion.ngram_cache`, commit 801d1a5; same
arguments, load 1.1 at the start): in process, first token p50 7.7-11.1 / p95 8.3-13.8 ms and 16 tokens p50
78-99 / p95 86-107 ms; over LSP, first token p50 2.5-3.8 / p95 4.8-6.3 ms, no pause p95 19.9-27.0 ms, the
16-token line p50 86-90 / p95 91-105 ms; the keystroke, memory and jump rows as above (keystroke ratio 0.99). The
first version of the cache, whose healing picks always projected the whole vocabulary, measured a first token of
p50 12.4-14.6 / p95 13.1-18.3 ms in process.
Session 10 (commit 3794387: cold requests read a window, prefill chunk 256; load 0.1 at the start): the first
request after didOpen ("after open") 193-328 ms at 1K-64K tokens, where the catch-up it no longer waits for takes
0.2-11.5 s ("open + prefill"); the steady state as before: over LSP first token p95 6.5-9.0 ms, no pause p95
22.9-34.8 ms, 16-token line p95 110-149 ms; in process first token p95 14.8-20.8 ms, 16 tokens p95 106-145 ms;
keystroke ratio 0.86.
Memory: only the 8 checkpoints nearest the cursor stay in memory, so a session holds 15.4 MiB of model state
at every size (the live state, the request copy and those 8; about 1.4 MiB each, 72 % of it the 256-token
attention window), where the Transformer's KV cache grows to 64 MiB at 64K. The grid (512 tokens apart up to
128 points, so to 64K tokens) lives in the session's unlinked temporary file, which grows with the document
(179 MiB at 64K) and is read back on a far jump: at most 488 tokens re-fed (about 100 ms of CPU) at every
size, where the fine checkpoints alone re-feed up to about half the distance jumped (26999 tokens, 4.8 s of
CPU at 64K). Before the spill (commit b311eca) the grid stayed in memory: 25 MiB at 1K, 113 MiB at 32K-64K.
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from completion.checkpoints import grid_spacing  # noqa: E402
from completion.generate import generate  # noqa: E402
from completion.lm import RecurrentLM  # noqa: E402
from completion.loader import default_model_dir, load_completion_model  # noqa: E402
from completion.options import (DEFAULT_POLICY, NO_STOP_ENV, SESSIONS_PER_BUDGET, CheckpointPolicy,  # noqa: E402
                                GenerationOptions)
from completion.policy import Mode  # noqa: E402
from completion.retokenize import retokenize  # noqa: E402
from completion.session import DocumentSession  # noqa: E402
from completion.stop import StopRule  # noqa: E402
from completion.token_log import TokenLog  # noqa: E402
from completion.tokens import TokenCodec  # noqa: E402
from models.transformer import KVCache, TransformerConfig, TransformerForCausalLM  # noqa: E402

NO_STOP = StopRule(Mode.BLOCK, suffix="", max_lines=10**6)  # unused with stop_early=False; generate wants one
SNIPPET = (
    "\n    def distance(self, other):\n"
    "        dx = self.x - other.x\n"
    "        dy = self.y - other.y\n"
    "        return math.sqrt(dx * dx + dy * dy)\n"
    "\n    def scaled(self, factor):\n"
    "        return Point(self.x * factor, self.y * fa"
)


@dataclass
class Row:
    tokens: int
    ours_end: list[float] = field(default_factory=list)
    ours_middle: list[float] = field(default_factory=list)
    ours_jump_ms: float = 0.0
    far: dict[str, list[float]] = field(default_factory=dict)  # target -> [tokens re-fed, wall ms, CPU ms]
    far_baseline: dict[str, int] = field(default_factory=dict)  # target -> tokens re-fed, fine tier only
    grid_spacing: int = 0
    open_state_mb: float = 0.0
    ours_open_s: float = 0.0
    ours_state_mb: float = 0.0
    ours_spilled_mb: float = 0.0
    gen_first: list[float] = field(default_factory=list)
    gen_16: list[float] = field(default_factory=list)
    kv_end: list[float] = field(default_factory=list)
    kv_middle: list[float] = field(default_factory=list)
    kv_mb: float = 0.0
    nocache: list[float] = field(default_factory=list)
    lsp_first: list[float] = field(default_factory=list)
    lsp_first_end: list[float] = field(default_factory=list)
    lsp_first_middle: list[float] = field(default_factory=list)
    lsp_first_cold: list[float] = field(default_factory=list)
    lsp_after_open: float = 0.0
    lsp_line: list[float] = field(default_factory=list)
    lsp_line_tokens: list[int] = field(default_factory=list)
    lsp_cache: list[float] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def header(model_dir: Path) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip() or "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"# {platform.processor() or platform.machine()} | {os.cpu_count()} cpus, torch threads "
            f"{torch.get_num_threads()} | load avg {load:.1f} | torch {torch.__version__} | device cpu | "
            f"commit {commit} | model {model_dir}")


# ------------------------------------------------------------------------------------------------ documents
def stdlib_text(codec: TokenCodec, tokens: int) -> str:
    """Python standard library files, concatenated in sorted order and cut at a line end near `tokens`."""
    parts: list[str] = []
    total = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "test" in path.parts or "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        parts.append(text)
        total += len(codec.encode(text))
        if total >= tokens:
            break
    text = "".join(parts)
    ids = codec.encode(text)[:tokens]
    cut = len(b"".join(codec.token_bytes[i] for i in ids).decode("utf-8", "ignore"))
    return text[: text.rfind("\n", 0, cut) + 1]


def middle_line_end(text: str) -> int:
    """Byte offset of the end of a line near the middle (before its newline)."""
    at = text.find("\n", len(text) // 2)
    return len(text[:at].encode("utf-8"))


# ------------------------------------------------------------------------------------------------ ours
def type_into_session(session: DocumentSession, cursor: int, snippet: str) -> list[float]:
    times = []
    for ch in snippet:
        start = time.perf_counter()
        session.edit(cursor, cursor, ch)
        session.sync()
        times.append(1e3 * (time.perf_counter() - start))
        cursor += len(ch.encode("utf-8"))
    return times


@torch.inference_mode()
def bench_ours(lm: RecurrentLM, codec: TokenCodec, text: str, snippet: str, row: Row, requests: int,
               fim: bool, policy: CheckpointPolicy) -> None:
    start = time.perf_counter()
    session = DocumentSession(lm, codec, text, policy, fim=fim)
    session.sync()
    row.ours_open_s = time.perf_counter() - start
    previous = replace(policy, grid_every=policy.every * 2**24)  # a grid beyond any document: the fine tier alone
    baseline = DocumentSession(CountingLM(lm), codec, text, previous, fim=fim)  # type: ignore[arg-type]
    baseline.sync()
    bench_far_jumps(session, baseline, text, row)
    row.ours_end = type_into_session(session, len(session.text), snippet)
    middle = type_into_session(session, middle_line_end(text), snippet)
    row.ours_jump_ms, row.ours_middle = middle[0], middle[1:]
    for cursor in (len(session.text), middle_line_end(session.full_text())):
        forced_generation(lm, codec, session, cursor, 1)  # brings the state to this cursor (a jump): not timed
        for _ in range(requests):
            first, total = forced_generation(lm, codec, session, cursor, 16)
            row.gen_first.append(first)
            row.gen_16.append(total)
    row.ours_state_mb = session.state_nbytes / 2**20
    row.ours_spilled_mb = session.spilled_nbytes / 2**20


def forced_generation(lm: RecurrentLM, codec: TokenCodec, session: DocumentSession, cursor: int,
                      tokens: int) -> tuple[float, float]:
    """ms to the first completion token and to `tokens` of them, for a request whose prompt was not prepared.

    Greedy with no stop rule (`stop_early=False`: the cost of a full line), through `generate` as the server
    runs it. With the default prompt the first picks re-produce the healed token's text.
    """
    session._prepared = None  # noqa: SLF001 - a request that finds nothing prepared (the worker was busy)
    start = time.perf_counter()
    prompt = session.prompt(cursor, suffix_tokens=GenerationOptions().suffix_tokens)
    assert prompt is not None
    options = GenerationOptions(max_tokens=tokens, stop_early=False, time_budget_ms=10_000)
    result = generate(lm, codec, prompt, NO_STOP, options, lambda: False, start)
    assert result.tokens == tokens, result
    return result.first_token_ms, result.ms


def far_targets(text: str) -> dict[str, list[int]]:
    """Byte offsets of line ends to jump to: the first line, the middle, and nine spread over the document."""
    def line_end(fraction: float) -> int:
        at = text.find("\n", int(len(text) * fraction))
        return len(text[:at].encode("utf-8"))

    return {"start": [line_end(0.0)], "middle": [middle_line_end(text)],
            "anywhere": [line_end(k / 10) for k in range(1, 10)]}


def keystroke_after_jump(session: DocumentSession, at: int) -> tuple[int, float, float]:
    """(tokens re-fed, wall ms, CPU ms) of a keystroke at byte `at`, on a copy of the session."""
    moved = copy.deepcopy(session, {id(session.lm): session.lm, id(session.codec): session.codec})
    wall, cpu = time.perf_counter(), time.process_time()
    moved.edit(at, at, "x")
    fed = moved.sync()
    return fed, 1e3 * (time.perf_counter() - wall), 1e3 * (time.process_time() - cpu)


class CountingLM:
    """A stand-in for RecurrentLM that feeds nothing: a session on it places its checkpoints exactly as on the
    model (placement depends on token indices only), so the baseline's rollback is counted without a prefill."""

    def __init__(self, lm: RecurrentLM) -> None:
        self.state = lm.new_state()
        self.state_nbytes = lm.state_nbytes

    def new_state(self):  # noqa: ANN201 - a RodimusState
        return self.state.clone()

    def feed(self, ids, state, should_stop=None) -> int:  # noqa: ANN001
        return len(ids)


def rollback_after_jump(session: DocumentSession, at: int) -> int:
    """Tokens a keystroke at byte `at` would re-feed (from the newest checkpoint at or before its anchor)."""
    moved = copy.deepcopy(session, {id(session.lm): session.lm, id(session.codec): session.codec})
    moved.edit(at, at, "x")
    target, _ = moved.anchor(moved.cursor)
    nearest = moved.checkpoints.newest_at_or_before(target)
    return target - (nearest if nearest is not None else 0)


def bench_far_jumps(session: DocumentSession, baseline: DocumentSession, text: str, row: Row) -> None:
    """The first keystroke after moving from the end (the session just opened) to the start, the middle, and
    anywhere (worst of nine places): ours measured, the baseline (the fine checkpoints alone, thinned
    geometrically with distance from the cursor: the policy before the grid) counted."""
    row.grid_spacing = grid_spacing(len(session.log), session.policy)
    row.open_state_mb = session.state_nbytes / 2**20
    for name, offsets in far_targets(text).items():
        runs = [keystroke_after_jump(session, at) for at in offsets]
        row.far[name] = list(max(runs))  # the most tokens re-fed, with its times
        row.far_baseline[name] = max(rollback_after_jump(baseline, at) for at in offsets)


# ------------------------------------------------------------------------------------------------ baselines
def transformer_like(lm: RecurrentLM, max_positions: int) -> TransformerForCausalLM:
    cfg = lm.model.config
    torch.manual_seed(0)
    config = TransformerConfig(vocab_size=cfg.vocab_size, hidden_size=cfg.d_model, intermediate_size=cfg.ffn_dim,
                               num_hidden_layers=cfg.n_layer, num_attention_heads=cfg.num_heads,
                               num_key_value_heads=cfg.num_heads_k, max_position_embeddings=max_positions,
                               tie_word_embeddings=True)
    return TransformerForCausalLM(config).eval()


class KVTyping:
    """The Transformer with a KV cache of the prefix: truncate at the first changed token, refeed to the cursor."""

    def __init__(self, model: TransformerForCausalLM, codec: TokenCodec, text: str, extra: int) -> None:
        self.model, self.codec = model, codec
        self.text = bytearray(text.encode("utf-8"))
        ids = codec.encode(text)
        self.log = TokenLog(ids, codec.token_lengths[np.asarray(ids, dtype=np.int64)])
        self.cache: KVCache = model.new_cache(1, capacity=len(ids) + extra)
        for t in (*self.cache.keys, *self.cache.values):
            t[:, : len(ids)].normal_()
        self.cache.position = len(ids)

    @torch.inference_mode()
    def type(self, cursor: int, snippet: str, keys: int) -> list[float]:
        times = []
        for ch in snippet[:keys]:
            start = time.perf_counter()
            data = ch.encode("utf-8")
            self.text[cursor:cursor] = data
            change = retokenize(self.codec, self.log, self.text, cursor, cursor, cursor + len(data))
            cursor += len(data)
            target = self.log.tokens_before(cursor)
            self.cache.position = min(self.cache.position, change.first_changed, target)
            ids = self.log.ids_between(self.cache.position, target).tolist()
            if len(ids) == 1:  # as RecurrentLM.feed does: a single token goes through step
                self.model.step(torch.tensor(ids), self.cache)
            elif ids:
                self.model.hidden_states(torch.tensor([ids]), self.cache)
            times.append(1e3 * (time.perf_counter() - start))
        return times


@torch.inference_mode()
def bench_nocache(model: TransformerForCausalLM, codec: TokenCodec, text: str, window: int, keys: int) -> list[float]:
    ids = codec.encode(text)
    times = []
    for k in range(keys):
        context = torch.tensor([ids[-window:]])
        start = time.perf_counter()
        model.hidden_states(context)
        times.append(1e3 * (time.perf_counter() - start))
        ids.append(ids[-1 - k % 7])
    return times


# ------------------------------------------------------------------------------------------------ LSP
def utf16_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return line, len(text[line_start:offset].encode("utf-16-le")) // 2


async def bench_lsp(model_dir: Path, text: str, snippet: str, chars: int, row: Row, codec: TokenCodec,
                    fim: bool) -> None:
    """Type at the end, then in the middle; after each character one Invoked request (maxTokens 1, then 16)."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("bench", "0")
    await client.start_io(sys.executable, "-m", "lsp_server", "serve",
                          env={**os.environ, "RODIMUS_LSP_LOG": "warning", NO_STOP_ENV: "1"})
    options = {"model": {"path": str(model_dir)}, "completion": {"maxTokens": 1, "multiline": False, "fim": fim}}
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         initialization_options=options))
    client.initialized(types.InitializedParams())
    warm = "file:///bench/warm.py"  # the server loads the model on its first request: not part of "after open"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=warm, language_id="python", version=1, text="x = 1\n")))
    await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=warm), position=types.Position(1, 0),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    uri = "file:///bench/doc.py"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    version = 1

    async def request(offset: int) -> tuple[float, str]:
        line, col = utf16_position(text, offset)
        start = time.perf_counter()
        result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, col),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
        ms = 1e3 * (time.perf_counter() - start)
        return ms, (result.items[0].insert_text if result and result.items else "")

    middle = text.find("\n", len(text) // 2)
    shown = ""
    for where, cursor in (("end", len(text)), ("middle", middle)):
        ms, _ = await request(cursor)  # at the end: the first request after didOpen; in the middle, after a jump
        if where == "end":
            row.lsp_after_open = ms
            await asyncio.sleep(1.5 * row.ours_open_s + 0.5)  # the background catch-up to the cursor
        for phase, max_tokens, typed, pause in (("first", 1, snippet[:chars], 0.06),
                                                ("line", 16, snippet[chars : 2 * chars], 0.06),
                                                ("cold", 1, snippet[2 * chars : 2 * chars + chars // 2], 0.0)):
            options["completion"]["maxTokens"] = max_tokens
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"rodimus": options}))
            for ch in typed:
                line, col = utf16_position(text, cursor)
                text = text[:cursor] + ch + text[cursor:]
                cursor += 1
                version += 1
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(line, col), types.Position(line, col)), text=ch)]))
                await asyncio.sleep(pause)
                ms, suggestion = await request(cursor)
                typed_through = bool(shown) and shown.startswith(ch) and suggestion == shown[len(ch):]
                shown = suggestion
                if typed_through:  # answered from the type-through cache: no model call to time
                    row.lsp_cache.append(ms)
                elif phase == "first":
                    row.lsp_first.append(ms)
                    (row.lsp_first_end if where == "end" else row.lsp_first_middle).append(ms)
                elif phase == "cold":
                    row.lsp_first_cold.append(ms)
                else:
                    row.lsp_line.append(ms)
                    row.lsp_line_tokens.append(len(codec.encode(suggestion)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


# ------------------------------------------------------------------------------------------------ report
def plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r.tokens for r in rows]
    fig, axes = plt.subplots(1, 4, figsize=(22, 4.8))
    for label, values, style in (
        ("ours, end", [pct(r.ours_end, 50) for r in rows], "o-"),
        ("ours, middle", [pct(r.ours_middle, 50) for r in rows], "o--"),
        ("tf-kv, end", [pct(r.kv_end, 50) for r in rows], "s-"),
        ("tf-kv, middle", [pct(r.kv_middle, 50) for r in rows], "s--"),
        ("tf-nocache (window)", [pct(r.nocache, 50) for r in rows], "^-"),
    ):
        axes[0].plot(n, values, style, label=label)
    axes[0].set(xscale="log", yscale="log", xlabel="document tokens", ylabel="ms per keystroke (p50)",
                title="state update per keystroke")
    axes[1].plot(n, [r.ours_state_mb for r in rows], "o-", label="ours: state + resident checkpoints (memory)")
    axes[1].plot(n, [r.ours_spilled_mb for r in rows], "o:", label="ours: spilled checkpoints (temporary file)")
    axes[1].plot(n, [r.kv_mb for r in rows], "s-", label="tf-kv: KV cache")
    axes[1].set(xscale="log", yscale="log", xlabel="document tokens", ylabel="MiB per session",
                title="memory per document")
    axes[2].plot(n, [pct(r.lsp_first, 95) for r in rows], "o-", label="LSP: first token p95")
    axes[2].plot(n, [pct(r.lsp_first_cold, 95) for r in rows], "o:", label="LSP: first token, no pause, p95")
    axes[2].plot(n, [pct(r.lsp_line, 95) for r in rows], "o--", label="LSP: line of up to 16 tokens p95")
    axes[2].plot(n, [pct(r.gen_first, 95) for r in rows], "^-", label="in-process: first token p95")
    axes[2].plot(n, [pct(r.gen_16, 95) for r in rows], "^--", label="in-process: 16 tokens p95")
    axes[2].axhline(30, color="grey", lw=0.8, ls=":")
    axes[2].axhline(200, color="grey", lw=0.8, ls=":")
    axes[2].set(xscale="log", yscale="log", xlabel="document tokens", ylabel="ms, send to answer",
                title="completion latency (ours)")
    axes[3].plot(n, [r.far["anywhere"][0] for r in rows], "o-", label="ours: grid + fine checkpoints")
    axes[3].plot(n, [r.far_baseline["anywhere"] for r in rows], "s--", label="baseline: fine checkpoints only")
    axes[3].plot(n, [r.grid_spacing for r in rows], ":", color="grey", label="grid spacing")
    axes[3].set(xscale="log", yscale="log", xlabel="document tokens", ylabel="tokens re-fed (worst of 9 places)",
                title="first keystroke after a far jump")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def report(rows: list[Row]) -> None:
    print("\nper-keystroke state update, ms (p50 / p90); memory per session, MiB (ours: in memory, and spilled to "
          "the temporary file)")
    print(f"{'tokens':>7} | {'ours end':>13} | {'ours middle':>13} | {'jump':>7} | {'ours MiB':>8} | {'spilled':>7} | "
          f"{'tf-kv end':>13} | {'tf-kv middle':>13} | {'tf-kv MiB':>9} | {'tf-nocache':>10} | "
          f"{'tf-kv/ours':>10}")
    for r in rows:
        print(f"{r.tokens:>7} | {pct(r.ours_end, 50):>6.2f}/{pct(r.ours_end, 90):>6.2f} | "
              f"{pct(r.ours_middle, 50):>6.2f}/{pct(r.ours_middle, 90):>6.2f} | {r.ours_jump_ms:>7.1f} | "
              f"{r.ours_state_mb:>8.1f} | {r.ours_spilled_mb:>7.1f} | "
              f"{pct(r.kv_end, 50):>6.2f}/{pct(r.kv_end, 90):>6.2f} | "
              f"{pct(r.kv_middle, 50):>6.2f}/{pct(r.kv_middle, 90):>6.2f} | {r.kv_mb:>9.1f} | "
              f"{pct(r.nocache, 50):>10.1f} | {pct(r.kv_end, 50) / pct(r.ours_end, 50):>9.1f}x")
    print("\nfirst keystroke after a far jump from the end of a just-opened document: tokens re-fed, "
          "ms wall / CPU (anywhere: the worst of 9 places); baseline: fine checkpoints only (before the grid), "
          "tokens counted")
    print(f"{'tokens':>7} | {'spacing':>7} | {'MiB open':>8} | {'start':>18} | {'middle':>18} | {'anywhere':>18} | "
          f"{'baseline start / middle / anywhere':>34}")
    for r in rows:
        cells = " | ".join(f"{int(r.far[k][0]):>6} {r.far[k][1]:>5.0f}/{r.far[k][2]:>5.0f}" for k in ("start", "middle",
                                                                                                      "anywhere"))
        base = " / ".join(f"{r.far_baseline[k]:>6}" for k in ("start", "middle", "anywhere"))
        print(f"{r.tokens:>7} | {r.grid_spacing:>7} | {r.open_state_mb:>8.1f} | {cells} | {base:>34}")
    print("\nrequest latency in process (ours: prompt on a copy of the state + greedy steps), ms (p50 / p95)")
    print(f"{'tokens':>7} | {'first token':>13} | {'16 tokens':>13}")
    for r in rows:
        print(f"{r.tokens:>7} | {pct(r.gen_first, 50):>6.1f}/{pct(r.gen_first, 95):>6.1f} | "
              f"{pct(r.gen_16, 50):>6.1f}/{pct(r.gen_16, 95):>6.1f}")
    print("\ninlineCompletion over LSP (ours), ms from send to answer (p50 / p95)")
    print(f"{'tokens':>7} | {'first, end':>13} | {'first, middle':>13} | {'first, no pause':>15} | "
          f"{'16-token line':>13} | {'tokens generated (mean)':>23} | {'type-through':>14} | "
          f"{'open + prefill s':>16} | {'after open':>10}")
    for r in rows:
        mean_tokens = statistics.mean(r.lsp_line_tokens) if r.lsp_line_tokens else float("nan")
        print(f"{r.tokens:>7} | {pct(r.lsp_first_end, 50):>6.1f}/{pct(r.lsp_first_end, 95):>6.1f} | "
              f"{pct(r.lsp_first_middle, 50):>6.1f}/{pct(r.lsp_first_middle, 95):>6.1f} | "
              f"{pct(r.lsp_first_cold, 50):>8.1f}/{pct(r.lsp_first_cold, 95):>6.1f} | "
              f"{pct(r.lsp_line, 50):>6.1f}/{pct(r.lsp_line, 95):>6.1f} | {mean_tokens:>23.1f} | "
              f"{len(r.lsp_cache):>3} x {pct(r.lsp_cache, 50):>4.1f} ms | {r.ours_open_s:>16.1f} | "
              f"{r.lsp_after_open:>10.1f}")
    small, large = rows[0], rows[-1]
    ratio = pct(large.ours_end, 50) / pct(small.ours_end, 50)
    print(f"\ncheck: keystroke p50 at {large.tokens} / at {small.tokens} tokens = {ratio:.2f} (target <= 1.2)")
    print(f"check: memory per session {small.ours_state_mb:.1f} .. {large.ours_state_mb:.1f} MiB, spilled "
          f"{small.ours_spilled_mb:.1f} .. {large.ours_spilled_mb:.1f} MiB (tf-kv {small.kv_mb:.1f} .. "
          f"{large.kv_mb:.1f} MiB)")
    worst_far = max(rows, key=lambda r: r.far["anywhere"][0])
    print(f"check: a far jump re-feeds at most {int(worst_far.far['anywhere'][0])} tokens "
          f"({worst_far.far['anywhere'][1]:.0f} ms wall, {worst_far.far['anywhere'][2]:.0f} ms CPU) at "
          f"{worst_far.tokens} tokens; baseline {max(r.far_baseline['anywhere'] for r in rows)} tokens")
    worst_first = max(pct(r.lsp_first, 95) for r in rows)
    worst_cold = max(pct(r.lsp_first_cold, 95) for r in rows)
    worst_line = max(pct(r.lsp_line, 95) for r in rows)
    worst_16 = max(pct(r.gen_16, 95) for r in rows)
    print(f"check: first token p95 over LSP (worst size) {worst_first:.1f} ms (target <= 30), with no pause "
          f"after the keystroke {worst_cold:.1f} ms; "
          f"line over LSP p95 {worst_line:.1f} ms, 16 forced tokens in process p95 {worst_16:.1f} ms "
          f"(target <= 200)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir(), help="model folder")
    parser.add_argument("--sizes", default="1024,8192,32768,65536", help="document sizes in tokens")
    parser.add_argument("--chars", type=int, default=200, help="characters typed per position (ours)")
    parser.add_argument("--kv-keys", type=int, default=40, help="keystrokes timed for tf-kv per position")
    parser.add_argument("--nocache-keys", type=int, default=6, help="keystrokes timed for tf-nocache")
    parser.add_argument("--window", type=int, default=4096, help="tf-nocache context window (tokens)")
    parser.add_argument("--requests", type=int, default=20, help="in-process requests per position (ours)")
    parser.add_argument("--lsp-chars", type=int, default=20,
                        help="requests per (position, maxTokens) over LSP (0: skip)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the server's worker uses 1)")
    parser.add_argument("--state-budget-mb", type=int, default=512,
                        help="stateBudgetMB the session's checkpoints are sized from (the server's default)")
    parser.add_argument("--fim", action="store_true", help="the FIM (PSM) prompt format instead of the default")
    parser.add_argument("--png", type=Path, default=Path(__file__).parent / "out" / "completion.png")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    lm, codec = load_completion_model(args.model)
    policy = DEFAULT_POLICY.for_budget(args.state_budget_mb * 2**20 // SESSIONS_PER_BUDGET, lm.state_nbytes)
    sizes = [int(s) for s in args.sizes.split(",")]
    snippet = (SNIPPET * (args.chars // len(SNIPPET) + 1))[: args.chars]
    print(header(args.model) + f" | prompt {'FIM (PSM)' if args.fim else 'prefix, last token healed'} | "
          f"checkpoints: grid of <= {policy.grid_count} from {policy.grid_every} tokens apart, "
          f"{policy.max_count} fine, {policy.resident} in memory (stateBudgetMB {args.state_budget_mb})")
    transformer = transformer_like(lm, max(sizes) + 2 * len(snippet) + 64)
    rows = []
    for size in sizes:
        row = Row(size)
        text = stdlib_text(codec, size)
        bench_ours(lm, codec, text, snippet, row, args.requests, args.fim, policy)
        kv = KVTyping(transformer, codec, text, extra=4 * len(snippet))
        row.kv_end = kv.type(len(kv.text), snippet, args.kv_keys)[1:]
        row.kv_middle = kv.type(middle_line_end(text), snippet, args.kv_keys + 1)[1:]
        row.kv_mb = kv.cache.nbytes / 2**20
        row.nocache = bench_nocache(transformer, codec, text, args.window, args.nocache_keys)[1:]
        if args.lsp_chars:
            asyncio.run(bench_lsp(args.model, text, snippet, args.lsp_chars, row, codec, args.fim))
        print(f"  {size} tokens done: ours p50 {pct(row.ours_end, 50):.2f} ms, tf-kv p50 {pct(row.kv_end, 50):.2f} ms,"
              f" lsp first p95 {pct(row.lsp_first, 95):.1f} ms", flush=True)
        rows.append(row)
    report(rows)
    plot(rows, args.png)
    print(f"\nplot: {args.png}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows]))


if __name__ == "__main__":
    main()
