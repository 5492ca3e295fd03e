"""One fix request -> the reader's answer text (search/replace blocks), as the Reader and the held-out fix rate
both run it: repair candidates ranked by the reader (models.cgm.decode) when the config asks for it and code is
shown, free greedy generation otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from analysis.readers.base import GraphContext, SourceFile
from models.cgm.decode import search_replace_answer
from models.cgm.items import ItemBuilder
from models.cgm.model import CGMForCausalLM
from models.cgm.prompt import Focus, focus_region


def answer_text(model: CGMForCausalLM, builder: ItemBuilder, issue: str, files: Sequence[SourceFile],
                focus: Focus | None, graph: GraphContext | None,
                cancelled: Callable[[], bool] | None = None) -> str:
    config = model.config
    prompt = builder.fix_prompt(issue, files, focus)
    vectors, owner, edges = builder.nodes(graph)
    shown = focus_region(files, focus)
    if config.constrained_decoding and shown is not None and shown[2]:
        source, first_line, lines = shown
        return search_replace_answer(model, builder.tokenizer, builder.eos, vectors, owner, edges, prompt,
                                     source.path, source.text, first_line, [line.rstrip("\r\n") for line in lines],
                                     cancelled=cancelled)  # fmt: skip
    out = model.generate(vectors, owner, edges, prompt, config.max_answer_tokens, builder.eos, cancelled)
    return builder.tokenizer.decode(out)
