"""DocumentSession: one open document's text, token log and model state, updated edit by edit.

Two prompt formats, both from a persistent state the session keeps up to an *anchor* just before the cursor:

- FIM (PSM): the state covers `<|fim_begin|>` and the document's tokens up to the last safe
  token boundary before the cursor (`completion.tokens`) plus the log tokens after it that
  `encode(text before the cursor)` shares. A request feeds, on a copy, the few prefix tokens the log does
  not share (the word under the cursor), `<|fim_hole|>`, a bounded suffix window and `<|fim_end|>`: exactly
  the prompt the starter was trained on (`<|fim_begin|> prefix <|fim_hole|> suffix <|fim_end|> middle`),
  with the prefix tokenized as a whole.
- Prefix only (`fim=False`, the default; see `GenerationOptions`): the state covers the document's tokens
  up to the last safe boundary before the cursor (no special token), where the next token starts a fresh
  pre-token; the request feeds the anchor's last token and the prefix's tokens after it but the last, and
  generation re-produces that last token's text first ("token healing"), so the model never continues from
  a partial word or a lone space it was not trained to continue.

Prepared prompt: `prepare` builds the prompt at the cursor ahead of the request (the model worker calls it
when idle after an edit, while the editor and the debounce wait), on a buffer of its own, then its greedy
healing, checking between model steps whether other work arrived; a request at that cursor before the next
edit starts from a copy of it, so its first token costs the generation steps only. A request that finds no
prepared prompt keeps the one it built, so the worker's next `prepare` there only adds the healing.

The server's sessions hold a document's line-feed view (`completion.line_breaks.to_lf`: each "\\r\\n" as
"\\n", as the model was trained), which `edit_lines` keeps as the editor edits; `edit` takes the session's own
byte offsets and text as they are.

On an edit the token log is re-tokenized around it (`completion.retokenize`), checkpoints after the first
changed token are dropped, and the next `sync` rolls back to the newest checkpoint at or before the anchor
and feeds only the tokens from there (through the chunked prefill, split only where a checkpoint is saved).
With checkpoints dense near the cursor and a uniform grid over the whole document (`CheckpointStore`,
`CheckpointPolicy`), typing costs a bounded number of tokens whatever the document's length, and so does the
first keystroke after a jump anywhere before the last edit: at most the grid's spacing. Only the checkpoints
nearest the cursor stay in memory; the rest wait in a temporary file (`completion.spill`), so the session's
memory does not grow with the document. Rodimus+ keeps its attention window inside the state, so restoring a
checkpoint restores the window too.

Cold requests: a request that finds the persistent state far behind its anchor (a just-opened large document,
or one whose states were evicted) would wait for the whole catch-up, about 10 s for 65,536 tokens on one CPU
thread. It is answered instead from a window of the text before its anchor alone (`_cold_prompt`): a state fed
from zero over the last `COLD_WINDOW_TOKENS` tokens (the starter was trained on random 512-token windows, and
bench/model_quality.py's model rows read this window: 12.6 % next-line exact, as with the whole prefix through
the server's engine). That window state is kept and advanced like the persistent one while the user types, so
the requests that follow cost a few tokens each; it is dropped by an edit before its end and once the worker's
catch-up (which goes on when idle) has brought the persistent state near the cursor, from where requests use
the whole prefix again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from completion.checkpoints import CheckpointStore, grid_spacing, keep_set
from completion.healing import heal_greedily
from completion.line_breaks import lf_replacement
from completion.line_index import LineIndex
from completion.lm import NextToken, RecurrentLM
from completion.ngram_cache import NgramCache
from completion.options import DEFAULT_POLICY, CacheOptions, CheckpointPolicy
from completion.prompt import Healing, Prompt
from completion.retokenize import TokenEdit, boundary_at_or_after, boundary_at_or_before, retokenize
from completion.token_log import TokenLog
from completion.tokens import TokenCodec
from models.state import RodimusState

MAX_TAIL_BYTES = 1024  # beyond this (a huge line with no whitespace), the prefix's end is tokenized approximately
COLD_WINDOW_TOKENS = 1024  # what a cold request reads before its anchor
COLD_AFTER_TOKENS = 2 * COLD_WINDOW_TOKENS  # a request is cold when catching up would feed more than this
COLD_LAG_TOKENS = 8  # how far behind a cold request's anchor its window state stays


@dataclass
class _Window:
    """The state of a cold request's window: `<|fim_begin|>` in FIM mode, then the log's tokens start:index."""

    start: int
    index: int
    state: RodimusState


@dataclass
class _Prepared:
    """The state after a prompt's own tokens, fed on a copy of the state at the anchor, and its healing.

    Keyed by what it holds, not by the text's version: typing inside a word leaves the anchor and the fed
    tokens as they were (only the forced text grows), so the next keystroke's request reuses it.
    """

    anchor: int
    ids: tuple[int, ...]
    state: RodimusState
    next: NextToken
    forced: bytes  # the forced text `healing` re-produces
    healing: Healing | None  # None until `prepare` made it (or when there is no forced text)

    @property
    def complete(self) -> bool:
        return self.healing is not None or not self.forced


class DocumentSession:
    def __init__(self, lm: RecurrentLM, codec: TokenCodec, text: str,
                 policy: CheckpointPolicy = DEFAULT_POLICY, fim: bool = False, suffix_tokens: int = 32,
                 cache: CacheOptions = CacheOptions()) -> None:
        self.lm = lm
        self.codec = codec
        self.policy = self._asked_policy = policy  # `policy` as fitted to the memory budget; as asked
        self.fim = fim
        self.suffix_tokens = suffix_tokens  # the FIM suffix window `prepare` builds prompts with
        self.cache = cache  # the document cache model prompts carry and prepared healing uses
        self.text = bytearray(text.encode("utf-8"))
        ids = codec.encode(text)
        self.log = TokenLog(ids, codec.token_lengths[np.asarray(ids, dtype=np.int64)])
        self.lines = LineIndex(self.text)
        self.cursor = len(self.text)
        self.checkpoints = CheckpointStore(policy)
        self._live: RodimusState | None = None
        self._live_index = -1  # the live state covers log[:_live_index]; -1: nothing usable
        self._scratch: RodimusState | None = None
        self._cold: _Window | None = None  # the window state of cold requests (see "Cold requests")
        self._prepared: _Prepared | None = None
        self._prompt_buffer: RodimusState | None = None  # the prepared prompt's state
        self._healing_buffer: RodimusState | None = None  # the prepared healing's state
        self._thinned_for = (-1, 0)  # (cursor, grid spacing) the checkpoints were last thinned for

    # ------------------------------------------------------------------------------------------ text
    def edit(self, start: int, old_end: int, new_text: str) -> TokenEdit:
        """Replace bytes `start:old_end` by `new_text`; the cursor moves to the end of the new text."""
        if not 0 <= start <= old_end <= len(self.text):
            raise ValueError(f"edit {start}:{old_end} is outside the document's {len(self.text)} bytes")
        new = new_text.encode("utf-8")
        self.text[start:old_end] = new
        self.lines.splice(start, old_end, new)
        change = retokenize(self.codec, self.log, self.text, start, old_end, start + len(new))
        self.checkpoints.drop_after(change.first_changed)
        if self._prepared is not None and change.first_changed < self._prepared.anchor:
            self._prepared = None
        if self._live_index > change.first_changed:
            self._live_index = -1
        if self._cold is not None and self._cold.index > change.first_changed:
            self._cold = None
        self.cursor = start + len(new)
        return change

    def edit_lines(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> TokenEdit:
        """An editor's edit with (line, UTF-8 byte column) positions, as the server's document store reports them,
        on a session that holds the document's line-feed view (`completion.line_breaks`)."""
        first, last = self.lines.offset(*start), self.lines.offset(*end)
        return self.edit(first, last, lf_replacement(self.text, first, last, new_text))

    def offset(self, line: int, byte_col: int) -> int:
        return self.lines.offset(line, byte_col)

    def full_text(self) -> str:
        return self.text.decode("utf-8")

    # ------------------------------------------------------------------------------------------ state
    def anchor(self, cursor: int) -> tuple[int, list[int]]:
        """(index the persistent state sits at for this cursor, prefix tokens a FIM request feeds after it).

        Without FIM the anchor is one token before the safe boundary and that token is the first to feed;
        the text from the boundary to the cursor (`healing_text`) follows, its last token healed.
        """
        cursor = max(0, min(cursor, len(self.text)))
        start, safe = self._safe_start(cursor)
        if not self.fim:
            return (start - 1, [self.log.id_at(start - 1)]) if start > 0 else (0, [])
        tail = self.codec.encode_bytes(self.text[safe:cursor])
        shared = self.log.ids_between(start, start + len(tail))
        same = 0
        while same < len(shared) and shared[same] == tail[same]:
            same += 1
        return start + same, tail[same:]

    def healing_text(self, cursor: int) -> bytes:
        """The text between the prefix-only anchor and the cursor."""
        cursor = max(0, min(cursor, len(self.text)))
        _, safe = self._safe_start(cursor)
        return bytes(self.text[safe:cursor])

    def _safe_start(self, cursor: int) -> tuple[int, int]:
        """(token index, byte offset) of the last safe boundary before the cursor."""
        safe = boundary_at_or_before(self.text, cursor - 1) if cursor > 0 else 0
        start = self.log.index_of_boundary(safe)
        if start is None or cursor - safe > MAX_TAIL_BYTES:
            start = max(0, self.log.tokens_before(cursor) - 1)
            safe = self.log.start(start)
        return start, safe

    def sync(self, cursor: int | None = None, should_stop: Callable[[], bool] | None = None) -> int:
        """Bring the persistent state to the cursor's anchor (default: where the last edit ended).

        Returns the number of tokens fed; fewer than needed if `should_stop` said so between chunks (the
        progress made is kept, the next call continues from there).
        """
        if cursor is not None:
            self.cursor = max(0, min(cursor, len(self.text)))
        target, _ = self.anchor(self.cursor)
        return self._advance(target, should_stop)

    def prompt(self, cursor: int, suffix_tokens: int, should_stop: Callable[[], bool] | None = None) -> Prompt | None:
        """The prompt's state and first scores for a completion at byte `cursor` (None if stopped).

        The state is the session's scratch buffer: valid until the next call.
        """
        self.cursor = max(0, min(cursor, len(self.text)))
        target, tail = self.anchor(self.cursor)
        if self._behind(target) > COLD_AFTER_TOKENS:
            return self._cold_prompt(target, tail, suffix_tokens, should_stop)
        self._cold = None  # the persistent state is near: the window state's work is done
        synced = self._advance(target, should_stop)
        if self._live_index != target:
            return None
        assert self._live is not None
        scratch = self._scratch_copy(self._live)
        ids, forced = self._prompt_ids(tail, suffix_tokens)
        cache = self._document_cache(target, tail, ids)
        indented = self.at_indentation(self.cursor)
        ready = self._ready(target, ids)
        if ready is not None:
            scratch.copy_(ready.state)
            healing = ready.healing if ready.forced == forced else None
            return Prompt(scratch, ready.next, len(ids), synced, forced, ready=True, healing=healing, cache=cache,
                          keeps_indentation=indented)
        scores = self.lm.feed_next(ids, scratch)
        self._prepared = None
        kept = self._buffer("_prompt_buffer")  # kept before generation moves the scratch state on
        kept.copy_(scratch)
        self._prepared = _Prepared(target, tuple(ids), kept, scores, forced, None)
        return Prompt(scratch, scores, len(ids), synced, forced, cache=cache, keeps_indentation=indented)

    def _cold_prompt(self, target: int, tail: list[int], suffix_tokens: int,
                     should_stop: Callable[[], bool] | None) -> Prompt | None:
        """The prompt from the window state (see "Cold requests" above), made afresh from the `COLD_WINDOW_TOKENS`
        before `target` or advanced towards it; None if `should_stop` said so while it was fed (what was fed is
        kept). The window state stays `COLD_LAG_TOKENS` behind the anchor, which a keystroke may move back a few
        tokens (a retokenized word), and the request feeds those on its copy."""
        cold = self._cold
        if cold is None or not cold.start <= cold.index <= target or target - cold.index > COLD_AFTER_TOKENS:
            start = max(0, target - COLD_WINDOW_TOKENS)
            cold = self._cold = _Window(start, start, self._origin(cold.state if cold is not None else None))
        lagged = max(cold.index, target - COLD_LAG_TOKENS)
        synced = self.lm.feed(self.log.ids_between(cold.index, lagged).tolist(), cold.state, should_stop)
        cold.index += synced
        if cold.index != lagged:
            return None
        scratch = self._scratch_copy(cold.state)
        prompt_ids, forced = self._prompt_ids(tail, suffix_tokens)
        ids = [*self.log.ids_between(lagged, target).tolist(), *prompt_ids]
        return Prompt(scratch, self.lm.feed_next(ids, scratch), len(ids), synced, forced,
                      cache=self._document_cache(target, tail, prompt_ids),
                      keeps_indentation=self.at_indentation(self.cursor))

    def at_indentation(self, cursor: int) -> bool:
        """Whether the text before byte `cursor` on its line is blank (spaces and tabs, or nothing)."""
        line_start = self.text.rfind(b"\n", 0, cursor) + 1
        return not self.text[line_start:cursor].strip(b" \t")

    def _document_cache(self, anchor: int, tail: list[int], ids: list[int]) -> NgramCache | None:
        """The cache model over the document's last tokens before the generation: the log's up to the anchor,
        then the prompt's own prefix tokens (not the FIM frame and suffix); None when it is off."""
        if not self.cache.enabled:
            return None
        before = self.log.ids_between(max(0, anchor - self.cache.window), anchor)
        return NgramCache.of(np.concatenate([before, tail if self.fim else ids]), self.cache)

    def prepare(self, should_stop: Callable[[], bool] | None = None) -> bool:
        """Build the prompt at the session's cursor ahead of a request, then its greedy healing (see
        `completion.healing`); False if `should_stop` said so first (between model steps: the part made is
        kept, the next call goes on from it)."""
        target, tail = self.anchor(self.cursor)
        self._advance(target, should_stop)
        if self._live_index != target or (should_stop is not None and should_stop()):
            return False
        ids, forced = self._prompt_ids(tail, self.suffix_tokens)
        ready = self._ready(target, ids)
        if ready is None:
            assert self._live is not None
            self._prepared = None
            state = self._buffer("_prompt_buffer")
            state.copy_(self._live)
            ready = self._prepared = _Prepared(target, tuple(ids), state, self.lm.feed_next(ids, state), forced, None)
        if ready.forced != forced:  # the same prompt, another word under the cursor: heal that one
            ready.forced, ready.healing = forced, None
        if not ready.complete:
            healed = self._buffer("_healing_buffer")
            healed.copy_(ready.state)
            ready.healing = heal_greedily(self.lm, self.codec, healed, ready.next, ready.forced, should_stop,
                                          self._document_cache(target, tail, ids), self.at_indentation(self.cursor))
        return ready.complete

    def is_prepared(self) -> bool:
        """Whether the prompt at the session's cursor and its healing are ready for a request (`prepare`)."""
        target, tail = self.anchor(self.cursor)
        ids, forced = self._prompt_ids(tail, self.suffix_tokens)
        ready = self._ready(target, ids)
        return ready is not None and ready.forced == forced and ready.complete

    def _ready(self, anchor: int, ids: list[int]) -> _Prepared | None:
        """The prepared prompt if it is the state after `ids` fed at `anchor` (edits before it drop it)."""
        ready = self._prepared
        return ready if ready is not None and ready.anchor == anchor and ready.ids == tuple(ids) else None

    def _buffer(self, name: str) -> RodimusState:
        """A state buffer the session keeps for its prepared prompt (allocated on first use)."""
        buffer = getattr(self, name)
        if buffer is None:
            buffer = self.lm.new_state()
            setattr(self, name, buffer)
        return buffer

    def _prompt_ids(self, tail: list[int], suffix_tokens: int) -> tuple[list[int], bytes]:
        """The request's part of the prompt, fed on a copy of the state at the anchor, and its forced text."""
        special = self.codec.special
        if self.fim:
            return [*tail, special.fim_hole, *self.suffix_ids(self.cursor, suffix_tokens), special.fim_end], b""
        # Prefix only: the anchor's token and the prefix's tokens up to its last one, which generation
        # re-produces (token healing). At the very start: what follows <|endoftext|>, a new file.
        healed = self.codec.encode_bytes(self.healing_text(self.cursor))
        forced = self.codec.token_bytes[healed[-1]] if healed else b""
        return [*tail, *healed[:-1]] or [special.eos], forced

    def suffix_ids(self, cursor: int, limit: int) -> list[int]:
        """The first `limit` tokens of `encode(text after the cursor)`."""
        if limit <= 0 or cursor >= len(self.text):
            return []
        safe = boundary_at_or_after(self.text, cursor + 1)
        start = self.log.index_of_boundary(safe)
        if start is None or safe - cursor > MAX_TAIL_BYTES:
            start = min(len(self.log), self.log.tokens_before(cursor) + 1)
            safe = self.log.start(start)
        head = self.codec.encode_bytes(self.text[cursor:safe])[:limit]
        return [*head, *self.log.ids_between(start, start + limit - len(head)).tolist()]

    def prefix_state(self, cursor: int) -> RodimusState:
        """A copy of the state after `encode(text[:cursor])` (after `<|fim_begin|>` in FIM mode)."""
        target, tail = self.anchor(cursor)
        self._advance(target)
        assert self._live is not None
        state = self._live.clone()
        if not self.fim:
            tail = [*tail, *self.codec.encode_bytes(self.healing_text(cursor))]
        self.lm.feed(tail, state)
        return state

    def fit_checkpoints(self, share_bytes: int) -> None:
        """Keep at most as many checkpoints in memory as fit in `share_bytes` beside the working states
        (`CheckpointPolicy.for_budget`); the others are spilled now."""
        self.policy = self.checkpoints.policy = self._asked_policy.for_budget(share_bytes, self.lm.state_nbytes)
        self._thin(max(0, self._live_index))

    def set_cache(self, cache: CacheOptions) -> None:
        """Use another cache model from the next prompt on (a prepared healing made with the old one is dropped)."""
        if cache != self.cache:
            self.cache = cache
            self._prepared = None

    def set_fim(self, fim: bool) -> None:
        """Switch the prompt format; the states are rebuilt (they begin differently)."""
        if fim != self.fim:
            self.fim = fim
            self.drop_states()

    @property
    def state_index(self) -> int:
        """How many document tokens the persistent state covers (-1 when it must be rebuilt)."""
        return self._live_index

    @property
    def nbytes(self) -> int:
        return self.state_nbytes + self.log.nbytes + self.lines.nbytes + len(self.text)

    @property
    def state_nbytes(self) -> int:
        """Bytes of model state in memory (what eviction frees)."""
        cold = self._cold.state if self._cold is not None else None
        buffers = (self._live, self._scratch, self._prompt_buffer, self._healing_buffer, cold)
        states = [s for s in buffers if s is not None]
        return sum(s.nbytes for s in states) + self.checkpoints.nbytes

    @property
    def spilled_nbytes(self) -> int:
        """Bytes of checkpoints in the temporary spill file (`completion.spill`), not in memory."""
        return self.checkpoints.spilled_nbytes

    def drop_states(self) -> None:
        """Free every model state (eviction); the next sync rebuilds from the text."""
        self._live = self._scratch = self._prompt_buffer = self._healing_buffer = None
        self._cold = None
        self._prepared = None
        self._live_index = -1
        self.checkpoints.clear()

    # ------------------------------------------------------------------------------------------ internals
    def _scratch_copy(self, source: RodimusState) -> RodimusState:
        """`source` copied into the session's scratch buffer (allocated on first use)."""
        if self._scratch is None:
            self._scratch = source.clone()
        else:
            self._scratch.copy_(source)
        return self._scratch

    def _origin(self, buffer: RodimusState | None) -> RodimusState:
        """The state before the document's first token (`<|fim_begin|>` in FIM mode), in `buffer` (reset in
        place) or, without one, a new state."""
        if buffer is None:
            buffer = self.lm.new_state()
        else:
            for layer in buffer.layers:
                for t in layer.tensors():
                    t.zero_()
            buffer.position = 0
        if self.fim:
            self.lm.feed([self.codec.special.fim_begin], buffer)
        return buffer

    def _resume_point(self, target: int) -> tuple[int, bool]:
        """Where `_advance` starts feeding towards `target` (-1: the origin), and whether that is a checkpoint
        to load rather than the live state."""
        source = self._live_index if 0 <= self._live_index <= target else -1
        nearest = self.checkpoints.newest_at_or_before(target)
        if nearest is not None and nearest > source:
            return nearest, True
        return source, False

    def _behind(self, target: int) -> int:
        """How many tokens `_advance` would feed to reach `target`."""
        return target - max(0, self._resume_point(target)[0])

    def _advance(self, target: int, should_stop: Callable[[], bool] | None = None) -> int:
        if self._live_index == target and self._thinned_for == (target, grid_spacing(len(self.log), self.policy)):
            return 0  # a keystroke that leaves the anchor where it is: nothing to feed, nothing to thin
        source, from_checkpoint = self._resume_point(target)
        if from_checkpoint:
            if self._live is None:
                self._live = self.lm.new_state()
            self.checkpoints.load(source, self._live)
        if source < 0:
            self._live = self._origin(self._live)
            source = 0
        live = self._live
        assert live is not None
        pinned = self._pinned(target)
        candidates = set(pinned) | set(range(source - source % self.policy.every + self.policy.every, target,
                                             self.policy.every)) | {source}
        keep = keep_set([*self.checkpoints.indices, *candidates], target, self.policy, len(self.log), pinned)
        stops = sorted(i for i in candidates if source <= i < target and i in keep)
        fed = 0
        position = source
        for stop in [*stops, target]:
            ids = self.log.ids_between(position, stop).tolist()
            done = self.lm.feed(ids, live, should_stop)
            fed += done
            position += done
            if done < len(ids):
                break
            if stop != target and stop not in self.checkpoints:
                self.checkpoints.save(stop, live)
        self._live_index = position
        self._thin(target, pinned)
        return fed

    def _thin(self, cursor: int, pinned: list[int] | None = None) -> None:
        """Keep the checkpoints the policy wants for a cursor at token index `cursor`."""
        pinned = self._pinned(cursor) if pinned is None else pinned
        self.checkpoints.retain(keep_set(self.checkpoints.indices, cursor, self.policy, len(self.log), pinned), cursor)
        self._thinned_for = (cursor, grid_spacing(len(self.log), self.policy))

    def _pinned(self, target: int) -> list[int]:
        """Checkpoints the policy always wants near the cursor: the last few tokens and line starts."""
        recent = [i for i in range(target - self.policy.recent, target) if i >= 0]
        starts: list[int] = []
        position = self.log.start(target)
        for _ in range(self.policy.lines):
            newline = self.text.rfind(b"\n", 0, position)
            if newline < 0:
                break
            index = self.log.index_of_boundary(boundary_at_or_before(self.text, newline))
            if index is not None:
                starts.append(index)
            position = newline
        return recent + starts
