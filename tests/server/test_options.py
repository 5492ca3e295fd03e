"""Options: camelCase keys, every key optional, unknown keys warned, invalid values replaced by defaults."""
from __future__ import annotations

import logging

import pytest

from lsp_server.options import CompletionOptions, IndexOptions, Options, load_options, to_wire


def test_nothing_means_the_defaults() -> None:
    assert load_options(None).options == Options()
    assert load_options({}).problems == ()


def test_camel_case_keys_fill_nested_options() -> None:
    loaded = load_options(
        {"completion": {"maxTokens": 16, "debounceMs": 0}, "index": {"exclude": ["build/**"], "cacheDir": "/c"},
         "model": {"device": "cpu"}, "cgm": {"backend": "openai", "apiKeyEnv": "KEY"}, "stateBudgetMB": 64}
    )  # fmt: skip
    options = loaded.options
    assert loaded.problems == ()
    assert options.completion == CompletionOptions(max_tokens=16, debounce_ms=0)
    assert options.index == IndexOptions(exclude=("build/**",), cache_dir="/c")
    assert (options.model.device, options.cgm.backend, options.cgm.api_key_env) == ("cpu", "openai", "KEY")
    assert options.state_budget_mb == 64


def test_the_wire_form_loads_back_to_the_same_options() -> None:
    options = load_options({"completion": {"fim": False, "documentCache": False}, "index": {"exclude": ["a"]}}).options
    assert to_wire(options)["stateBudgetMB"] == 512
    assert load_options(to_wire(options)).options == options


def test_unknown_keys_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        loaded = load_options({"colour": "red", "completion": {"maxTokens": 8, "speed": 3}})
    assert loaded.options.completion.max_tokens == 8 and loaded.problems == ()
    assert "rodimus.colour" in caplog.text and "rodimus.completion.speed" in caplog.text


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"completion": {"maxTokens": "5"}}, "rodimus.completion.maxTokens"),  # a string is not an integer
        ({"completion": {"maxTokens": 0}}, "rodimus.completion.maxTokens"),
        ({"completion": {"multiline": 1}}, "rodimus.completion.multiline"),
        ({"completion": {"documentCache": "off"}}, "rodimus.completion.documentCache"),
        ({"model": {"device": "tpu"}}, "rodimus.model.device"),
        ({"index": {"exclude": "build"}}, "rodimus.index.exclude"),  # a string is not a list of strings
        ({"index": {"cacheDir": 3}}, "rodimus.index.cacheDir"),
        ({"diagnostics": {"syntax": "no"}}, "rodimus.diagnostics.syntax"),
        ({"cgm": "openai"}, "rodimus.cgm"),
        ({"stateBudgetMB": True}, "rodimus.stateBudgetMB"),
    ],
)
def test_an_invalid_value_is_reported_and_replaced_by_its_default(raw: dict, key: str) -> None:
    loaded = load_options(raw)
    assert loaded.options == Options()
    assert [problem.split(":")[0] for problem in loaded.problems] == [key]


def test_the_other_values_of_a_section_survive_an_invalid_one() -> None:
    loaded = load_options({"completion": {"maxTokens": -1, "debounceMs": 7}})
    assert loaded.options.completion == CompletionOptions(debounce_ms=7)
    assert "expected an integer from 1 to 4096, got -1; using 64" in loaded.problems[0]
