"""Typed server options: `initializationOptions` and the `rodimus` section of `workspace/didChangeConfiguration`.

The wire format is camelCase (ARCHITECTURE.md); the dataclasses are snake_case. Every key is optional.
Loading never fails: an unknown key is ignored with a logged warning, and an invalid value is replaced by
its default and reported in `Loaded.problems`, which the server shows to the user (jedi-language-server does
the same instead of failing `initialize`). Leaf values go through a strict cattrs converter, so "5" is not an
integer and a string is not a list of strings.
"""
from __future__ import annotations

import dataclasses
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from lsp_server.strict import make_strict

logger = logging.getLogger(__name__)


def _rule(check: Callable[[Any], bool], expected: str) -> dict[str, Any]:
    """Field metadata: a check on the structured value and what it expects, for the error message."""
    return {"check": check, "expected": expected}


@dataclass(frozen=True)
class ModelOptions:
    path: str | None = None  # a model folder; None means the bundled starter checkpoint
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"


@dataclass(frozen=True)
class CompletionOptions:
    max_tokens: int = field(default=64, metadata=_rule(lambda v: 1 <= v <= 4096, "an integer from 1 to 4096"))
    debounce_ms: int = field(default=75, metadata=_rule(lambda v: 0 <= v <= 10_000, "an integer from 0 to 10000"))
    multiline: bool = True
    fim: bool = False  # PSM needs a model trained well on it; the bundled starter is not (bench/model_quality.py)
    document_cache: bool = True  # mix the document cache model into every pick (completion/ngram_cache.py)


@dataclass(frozen=True)
class CgmOptions:
    backend: Literal["local", "openai"] = "local"
    endpoint: str | None = None  # base URL of an OpenAI-compatible server (backend "openai")
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # the name of the environment variable holding the key


@dataclass(frozen=True)
class IndexOptions:
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to the workspace root
    cache_dir: str | None = None  # None: the analysis package's default, outside the workspace


@dataclass(frozen=True)
class DiagnosticsOptions:
    syntax: bool = True  # publish syntax errors of open documents (off when another server already does)


@dataclass(frozen=True)
class Options:
    model: ModelOptions = ModelOptions()
    completion: CompletionOptions = CompletionOptions()
    cgm: CgmOptions = CgmOptions()
    index: IndexOptions = IndexOptions()
    diagnostics: DiagnosticsOptions = DiagnosticsOptions()
    state_budget_mb: int = field(
        default=512,
        metadata={"wire": "stateBudgetMB", **_rule(lambda v: v >= 0, "an integer >= 0")},
    )


@dataclass(frozen=True)
class Loaded:
    options: Options
    problems: tuple[str, ...]  # one sentence per invalid value, for window/showMessage


def wire_name(f: dataclasses.Field[Any]) -> str:
    """The camelCase key of a dataclass field on the wire."""
    if "wire" in f.metadata:
        return str(f.metadata["wire"])
    head, *rest = f.name.split("_")
    return head + "".join(part.title() for part in rest)


def _make_converter() -> cattrs.Converter:
    converter = make_strict(cattrs.Converter())

    def structure_tuple(value: Any, cls: type) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError("expected a list")
        (item_type, _) = typing.get_args(cls)
        return tuple(converter.structure(item, item_type) for item in value)

    converter.register_structure_hook_func(
        lambda cls: typing.get_origin(cls) is tuple and typing.get_args(cls)[1:] == (Ellipsis,), structure_tuple
    )
    for cls in (ModelOptions, CompletionOptions, CgmOptions, IndexOptions, DiagnosticsOptions, Options):
        renames = {f.name: override(rename=wire_name(f)) for f in dataclasses.fields(cls)}
        converter.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, converter, **renames))
    return converter


_converter = _make_converter()


def load_options(raw: Any, where: str = "rodimus") -> Loaded:
    """Options from the JSON value a client sent (None or missing keys mean defaults)."""
    problems: list[str] = []
    options = _structure(Options, {} if raw is None else raw, where, problems)
    return Loaded(options, tuple(problems))


def to_wire(options: Options) -> dict[str, Any]:
    """The camelCase JSON form (what a client would send to get exactly these options)."""
    return _converter.unstructure(options)


def _structure(cls: type, raw: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected an object, got {_describe(raw)}; using the defaults")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {wire_name(f): f for f in dataclasses.fields(cls)}
    for key in raw.keys() - fields.keys():
        logger.warning("ignoring unknown option %s.%s", where, key)
    values: dict[str, Any] = {}
    for key, f in fields.items():
        if key not in raw:
            continue
        path, hint = f"{where}.{key}", hints[f.name]
        if dataclasses.is_dataclass(hint):
            values[f.name] = _structure(hint, raw[key], path, problems)
            continue
        try:
            value = _converter.structure(raw[key], hint)
            valid = f.metadata.get("check", lambda _: True)(value)
        except Exception:
            valid = False
        if valid:
            values[f.name] = value
        else:
            expected = f.metadata.get("expected") or _describe_type(hint)
            problems.append(f"{path}: expected {expected}, got {_describe(raw[key])}; using {f.default!r}")
    return cls(**values)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe_type(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in args)
    if origin is tuple:
        return "a list of " + _describe_type(args[0]).removeprefix("a ") + "s"
    if type(None) in args:
        return " or ".join(_describe_type(a) for a in args if a is not type(None)) + " or null"
    return {int: "an integer", str: "a string", bool: "true or false"}.get(hint, str(hint))
