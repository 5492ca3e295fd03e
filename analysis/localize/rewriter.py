"""Rewriter: issue text -> code entities, keywords and search queries (CGM's R4 step 1).

The deterministic extractor reads what issues usually carry: traceback frames, paths, dotted names, names in code
spans, CamelCase / snake_case words and calls in prose. When a chat backend is configured, CGM's
extractor/inferer prompts (tags `[start_of_related_code_entities]` ...) run as well and their entities are merged
with the deterministic ones; a backend failure falls back to the deterministic result.
"""
from __future__ import annotations

import builtins
import keyword
import logging
import re
from collections import Counter
from dataclasses import dataclass

from analysis.localize.tokens import STOPWORDS, tokenize
from analysis.readers.base import ChatModel, ChatMessage, ReaderError

log = logging.getLogger(__name__)

# Entity weights by where the mention was found: a frame of a traceback names code that ran, a code span is
# deliberate, prose mentions are weaker.
WEIGHT_TRACEBACK = 3.0
WEIGHT_CODE = 1.5
WEIGHT_PROSE = 1.0
WEIGHT_LLM = 1.0

_TRACEBACK_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')
_PYTEST_FRAME = re.compile(r"^(?P<path>[\w./\\-]+\.py):(?P<line>\d+):(?: in (?P<func>\w+))?", re.MULTILINE)
_EXCEPTION_LINE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit)):", re.MULTILINE)
_TRACEBACK_NOISE = re.compile(
    r"^.*(?:Traceback \(most recent call last\)|File \"[^\"\n]+\", line \d+).*$|"
    r"^(?P<exc>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit)):.*$",
    re.MULTILINE,
)
_FENCE = re.compile(r"```[^\n]*\n(?P<body>.*?)(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`(?P<body>[^`\n]+)`")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
_PATH = re.compile(
    r"(?<![\w/.-])(?P<path>(?:[\w.-]+/)*[\w-]+\.(?:py|pyi|pyx|js|jsx|ts|tsx|go|java|rs|c|h|cc|cpp|hpp))\b"
)
_DOTTED = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?P<call>\()?")
_CALL = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)\(")
_CAMEL = re.compile(r"(?<![\w.])(?P<name>[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+|[a-z]+[A-Z]\w*)\b")
_SNAKE = re.compile(r"(?<![\w.])(?P<name>_*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+_*)\b")
_IDENTIFIER = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")

_NOT_ENTITIES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"self", "cls", "e", "i", "x", "foo", "bar"}
_DOTTED_NOISE = frozenset({"e.g", "i.e", "etc", "vs", "a.k.a"})
# Words that every bug report uses; as keywords they only add noise.
_ISSUE_NOISE = frozenset(
    """bug bugs fix fixes fixed fixing issue issues error errors problem problems work works working worked expected
    actual behavior behaviour happen happens happened trying try tried want wanted need needs instead still get gets
    got make makes made way case cases thing things something anything example following code line lines file files
    version versions python please thanks thank hi hello report reported reproduce reproduced reproduction wrong
    correct correctly currently current new old call called calling return returns returned value values""".split()
)

MAX_KEYWORDS = 10
MAX_QUERIES = 5


@dataclass(frozen=True)
class Entity:
    """A code entity mentioned by the issue.

    `kind` is "path" (a file path), "dotted" (`pkg.mod.Name`, `Class.method`) or "name" (one identifier).
    `frame` is the traceback position counted from the innermost frame (0), `line` the frame's 1-based line.
    """

    text: str
    kind: str
    source: str
    weight: float
    line: int | None = None
    frame: int | None = None


@dataclass(frozen=True)
class Rewrite:
    entities: tuple[Entity, ...]
    keywords: tuple[str, ...]
    queries: tuple[str, ...]


def rewrite(issue: str, chat: ChatModel | None = None) -> Rewrite:
    """Entities, keywords and queries of `issue`; with `chat`, merged with the LLM extractor's answer."""
    result = extract(issue)
    if chat is None:
        return result
    try:
        reply = chat.complete(_extractor_messages(issue), max_tokens=512, temperature=0.0)
    except ReaderError as error:
        log.warning("rewriter backend failed, using the deterministic rewriter: %s", error)
        return result
    return merge(result, parse_llm_reply(reply))


def extract(issue: str) -> Rewrite:
    """The deterministic rewriter."""
    text = issue.replace("\r\n", "\n")
    found: dict[tuple[str, str], Entity] = {}

    def add(entity: Entity) -> None:
        key = (entity.kind, entity.text)
        old = found.get(key)
        if old is None or entity.weight > old.weight:
            found[key] = entity

    for entity in _traceback_entities(text):
        add(entity)
    code_parts = [m.group("body") for m in _FENCE.finditer(text)]
    prose = _FENCE.sub("\n", text)
    code_parts += [m.group("body") for m in _INLINE_CODE.finditer(prose)]
    prose = _URL.sub(" ", _INLINE_CODE.sub(" ", prose))
    for code in code_parts:
        for entity in _code_entities(_URL.sub(" ", code)):
            add(entity)
    for entity in _prose_entities(prose):
        add(entity)
    entities = tuple(sorted(found.values(), key=lambda e: (-e.weight, e.text)))
    return Rewrite(entities=entities, keywords=_keywords(text), queries=_queries(text))


def _traceback_entities(text: str) -> list[Entity]:
    frames = [m for m in _TRACEBACK_FRAME.finditer(text)] + [m for m in _PYTEST_FRAME.finditer(text)]
    frames.sort(key=lambda m: m.start())
    out: list[Entity] = []
    for depth, match in enumerate(reversed(frames)):
        path = match.group("path").replace("\\", "/")
        line = int(match.group("line"))
        out.append(Entity(path, "path", "traceback", WEIGHT_TRACEBACK, line=line, frame=depth))
        func = match.group("func")
        if func and not func.startswith("<") and func not in _NOT_ENTITIES:
            out.append(Entity(func, "name", "traceback", WEIGHT_TRACEBACK, line=line, frame=depth))
    for match in _EXCEPTION_LINE.finditer(text):
        name = match.group("name")
        if name.split(".")[-1] not in _NOT_ENTITIES:
            out.append(Entity(name, "dotted" if "." in name else "name", "traceback", WEIGHT_CODE))
    return out


def _code_entities(code: str) -> list[Entity]:
    """Entities of a code span; traceback headers and frame lines are left to `_traceback_entities`."""
    code = _TRACEBACK_NOISE.sub("\n", code)
    out = [Entity(m.group("path"), "path", "code", WEIGHT_CODE) for m in _PATH.finditer(code)]
    code = _PATH.sub(" ", code)
    out += _dotted(code, "code", WEIGHT_CODE)
    for match in _IDENTIFIER.finditer(code):
        name = match.group("name")
        if _is_name_entity(name):
            out.append(Entity(name, "name", "code", WEIGHT_CODE))
    return out


def _prose_entities(prose: str) -> list[Entity]:
    out = [Entity(m.group("path"), "path", "prose", WEIGHT_PROSE) for m in _PATH.finditer(prose)]
    without_paths = _PATH.sub(" ", prose)
    out += _dotted(without_paths, "prose", WEIGHT_PROSE)
    for pattern in (_CALL, _CAMEL, _SNAKE):
        for match in pattern.finditer(without_paths):
            name = match.group("name")
            if _is_name_entity(name):
                out.append(Entity(name, "name", "prose", WEIGHT_PROSE))
    return out


def _dotted(text: str, source: str, weight: float) -> list[Entity]:
    out: list[Entity] = []
    for match in _DOTTED.finditer(text):
        name = match.group("name").rstrip(".")
        parts = name.split(".")
        if name.lower() in _DOTTED_NOISE or all(len(p) < 2 for p in parts):
            continue
        if parts[0] in {"self", "cls"}:
            parts = parts[1:]
        if len(parts) > 1:
            out.append(Entity(".".join(parts), "dotted", source, weight))
        last = parts[-1]
        if _is_name_entity(last) and (len(parts) == 1 or match.group("call") or _looks_like_code(last)):
            out.append(Entity(last, "name", source, weight))
    return out


def _looks_like_code(name: str) -> bool:
    return "_" in name or any(c.isupper() for c in name[1:]) or name[:1].isupper()


def _is_name_entity(name: str) -> bool:
    return len(name.strip("_")) >= 3 and name not in _NOT_ENTITIES and name.lower() not in STOPWORDS


def _keywords(text: str) -> tuple[str, ...]:
    """The most frequent informative tokens; paths and traceback frame lines are left out (`usr`, `lib`)."""
    text = _PATH.sub(" ", _TRACEBACK_NOISE.sub("\n", _URL.sub(" ", text)))
    tokens = [t for t in tokenize(text) if t not in _ISSUE_NOISE and not t.isdigit()]
    counts = Counter(tokens)
    order = {token: i for i, token in reversed(list(enumerate(tokens)))}
    ranked = sorted(counts, key=lambda t: (-counts[t], order.get(t, 0)))
    return tuple(ranked[:MAX_KEYWORDS])


def _queries(text: str) -> tuple[str, ...]:
    """The title and the first sentences of prose, as natural-language search queries."""
    prose = _URL.sub(" ", _FENCE.sub("\n", text))
    sentences = [" ".join(s.split()) for s in _SENTENCE_END.split(prose)]
    sentences = [s for s in sentences if len(s.split()) >= 3 and not _TRACEBACK_FRAME.search(s)]
    return tuple(dict.fromkeys(sentences))[:MAX_QUERIES]


def merge(base: Rewrite, extra: Rewrite) -> Rewrite:
    """Union of two rewrites; the deterministic entity wins on a tie (it carries the traceback position)."""
    seen = {(e.kind, e.text) for e in base.entities}
    entities = base.entities + tuple(e for e in extra.entities if (e.kind, e.text) not in seen)
    keywords = tuple(dict.fromkeys(extra.keywords + base.keywords))[: MAX_KEYWORDS + len(extra.keywords)]
    queries = tuple(dict.fromkeys(extra.queries + base.queries))[: MAX_QUERIES + len(extra.queries)]
    return Rewrite(entities=entities, keywords=keywords, queries=queries)


# ---- the LLM rewriter (CGM's extractor and inferer prompts folded into one request) ----

_SYSTEM = "You are a helpful assistant that localizes the code a software issue is about."
_INSTRUCTIONS = """Read the issue below and answer in exactly this format, with nothing else:

[start_of_related_code_entities]
one code entity per line: a file path relative to the repository root, a class name or a function name
[end_of_related_code_entities]
[start_of_related_keywords]
three keywords, one per line (not generic words such as "TypeError" or "bug")
[end_of_related_keywords]
[start_of_related_queries]
query 1: a short description of the code that must change
query 2: ...
[end_of_related_queries]

Leave out tests and third-party packages. Give at most 5 queries.

<issue>
{issue}
</issue>"""

_ITEM_PREFIX = re.compile(r"^\s*(?:[-*]|\d+[.)]|query \d+:)\s*", re.IGNORECASE)
_BLOCK = r"\[start_of_related_{name}\](?P<body>.*?)(?:\[end_of_related_{name}\]|\Z)"


def _extractor_messages(issue: str) -> list[ChatMessage]:
    return [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": _INSTRUCTIONS.format(issue=issue)},
    ]


def parse_llm_reply(reply: str) -> Rewrite:
    """Parse the tagged answer; missing or unterminated blocks give empty lists rather than errors."""
    reply = reply.replace("\r\n", "\n")

    def block(name: str) -> list[str]:
        match = re.search(_BLOCK.format(name=name), reply, re.DOTALL | re.IGNORECASE)
        if match is None:
            return []
        lines = (_ITEM_PREFIX.sub("", line) for line in match["body"].split("\n"))
        return [line.strip().strip("`'\"") for line in lines if line.strip()]

    entities: list[Entity] = []
    for item in block("code_entities"):
        item = item.split()[0] if " " in item and ("/" in item.split()[0] or "." in item.split()[0]) else item
        if _PATH.fullmatch(item):
            entities.append(Entity(item, "path", "llm", WEIGHT_LLM))
        elif _DOTTED.fullmatch(item):
            entities.append(Entity(item, "dotted", "llm", WEIGHT_LLM))
        elif _IDENTIFIER.fullmatch(item) and _is_name_entity(item):
            entities.append(Entity(item, "name", "llm", WEIGHT_LLM))
    keywords = tuple(dict.fromkeys(k.lower() for k in block("keywords") if " " not in k))
    return Rewrite(entities=tuple(entities), keywords=keywords, queries=tuple(block("queries"))[:MAX_QUERIES])
