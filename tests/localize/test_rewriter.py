"""The deterministic rewriter: entities from tracebacks, dotted names and code spans; the LLM reply parser."""
from __future__ import annotations

from analysis.localize.rewriter import extract, parse_llm_reply

TRACEBACK_ISSUE = """Checkout crashes with a big discount

```
Traceback (most recent call last):
  File "/home/me/app/run.py", line 4, in <module>
    checkout(cart, inventory)
  File "/venv/lib/python3.11/site-packages/shop/api.py", line 11, in checkout
    return {"total": cart.total(), "items": len(cart.lines)}
  File "/venv/lib/python3.11/site-packages/shop/pricing.py", line 15, in apply_discount
    raise ValueError(f"discount out of range: {percent}")
ValueError: discount out of range: 150
```
"""


def by_text(rewrite, kind):
    return {e.text: e for e in rewrite.entities if e.kind == kind}


def test_traceback_frames_give_paths_functions_lines_innermost_first() -> None:
    rewrite = extract(TRACEBACK_ISSUE)
    paths = by_text(rewrite, "path")
    pricing = paths["/venv/lib/python3.11/site-packages/shop/pricing.py"]
    assert (pricing.source, pricing.line, pricing.frame) == ("traceback", 15, 0)
    assert paths["/venv/lib/python3.11/site-packages/shop/api.py"].frame == 1
    assert paths["/home/me/app/run.py"].frame == 2
    names = by_text(rewrite, "name")
    assert names["apply_discount"].source == "traceback" and names["apply_discount"].line == 15
    assert "checkout" in names
    # Frame headers and the traceback banner are not code entities; builtins are not entities.
    assert not {"Traceback", "File", "line", "recent", "ValueError", "len"} & set(names)
    assert not {"usr", "lib", "venv", "py"} & set(rewrite.keywords)


def test_dotted_names_and_calls_in_prose() -> None:
    rewrite = extract(
        "Calling shop.pricing.apply_discount() from Cart.total rounds twice; see e.g. the docs at "
        "https://example.com/shop.pricing.html and version 1.2.3."
    )
    dotted = by_text(rewrite, "dotted")
    assert {"shop.pricing.apply_discount", "Cart.total"} <= set(dotted)
    assert not {"e.g", "example.com", "shop.pricing.html"} & set(dotted)
    assert "apply_discount" in by_text(rewrite, "name")


def test_code_spans_inline_and_fenced() -> None:
    rewrite = extract(
        "The helper `normalize_whitespace` keeps tabs.\n\n```python\nfrom shop.util.text import slugify\n"
        "slugify('Ünïcode  name')\n```\nAlso CamelCase like InventoryManager and snake_case like reserve_stock."
    )
    names = by_text(rewrite, "name")
    assert names["normalize_whitespace"].source == "code"
    assert names["slugify"].source == "code"
    assert {"InventoryManager", "reserve_stock"} <= set(names)
    assert "shop.util.text" in by_text(rewrite, "dotted")
    assert rewrite.queries and rewrite.queries[0].startswith("The helper")


def test_paths_in_prose_and_windows_separators() -> None:
    rewrite = extract(r'The bug is in shop/cart.py; on Windows: File "C:\src\shop\inventory.py", line 20, in reserve')
    paths = by_text(rewrite, "path")
    assert "shop/cart.py" in paths
    assert "C:/src/shop/inventory.py" in paths and paths["C:/src/shop/inventory.py"].line == 20


def test_llm_reply_parsing_tolerates_decoration_and_truncation() -> None:
    reply = (
        "[start_of_related_code_entities]\r\n- shop/pricing.py\r\n2. `Cart.total`\r\napply_discount\r\n"
        "[end_of_related_code_entities]\r\n[start_of_related_keywords]\r\ndiscount\r\nrounding\r\n"
        "[end_of_related_keywords]\r\n[start_of_related_queries]\r\nquery 1: Functions that apply discounts\r\n"
        "query 2: where totals are rounded"  # unterminated: the answer was cut off
    )
    rewrite = parse_llm_reply(reply)
    assert [(e.text, e.kind) for e in rewrite.entities] == [
        ("shop/pricing.py", "path"), ("Cart.total", "dotted"), ("apply_discount", "name"),
    ]
    assert rewrite.keywords == ("discount", "rounding")
    assert rewrite.queries == ("Functions that apply discounts", "where totals are rounded")
    assert parse_llm_reply("no tags at all").entities == ()


class ScriptedChat:
    """Test double at the ChatModel seam: answers every conversation with a fixed text (or fails)."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer

    def complete(self, messages, *, max_tokens, temperature, cancelled=None) -> str:
        from analysis.readers.base import ReaderError

        if self.answer is None:
            raise ReaderError("endpoint down")
        return self.answer


def test_the_llm_rewriter_adds_its_entities_and_a_failing_backend_falls_back() -> None:
    from analysis.localize.rewriter import rewrite

    issue = "Totals are wrong after removing the last item."
    answer = "[start_of_related_code_entities]\nshop/cart.py\nCart.remove_item\n[end_of_related_code_entities]"
    merged = rewrite(issue, ScriptedChat(answer))
    assert {("shop/cart.py", "path", "llm"), ("Cart.remove_item", "dotted", "llm")} <= {
        (e.text, e.kind, e.source) for e in merged.entities
    }
    assert rewrite(issue, ScriptedChat(None)) == extract(issue)
