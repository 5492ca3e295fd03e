"""Held-out fix rate: the reader's edits applied to the sample's files must give exactly what the reference
answer's edits give."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.patch.edits import SearchReplace, parse_edits
from models.cgm.answer import answer_text
from models.cgm.items import FixSample, ItemBuilder
from models.cgm.model import CGMForCausalLM


def apply_edits(files: dict[str, str], edits: Sequence[SearchReplace]) -> dict[str, str] | None:
    """Each edit's SEARCH text must occur exactly once in its file; None when an edit does not apply."""
    out = dict(files)
    for edit in edits:
        text = out.get(edit.path)
        if text is None or not edit.search or text.count(edit.search) != 1:
            return None
        out[edit.path] = text.replace(edit.search, edit.replace, 1)
    return out


def is_fixed(sample: FixSample, answer: str) -> bool:
    files = {f.path: f.text for f in sample.files}
    expected = apply_edits(files, parse_edits(sample.answer).edits)
    edits = parse_edits(answer).edits
    return bool(edits) and expected is not None and apply_edits(files, edits) == expected


def fix_rate(model: CGMForCausalLM, builder: ItemBuilder, samples: Sequence[FixSample]) -> tuple[float, list[str]]:
    """(share of samples fixed exactly, the generated answers)."""
    answers = [answer_text(model, builder, s.issue, s.files, s.focus, s.graph) for s in samples]
    fixed = sum(is_fixed(sample, answer) for sample, answer in zip(samples, answers))
    return fixed / max(len(samples), 1), answers
