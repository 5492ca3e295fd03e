"""The reader's text prompt: the issue, then the code it is most likely about, then the answer cue.

A tiny model cannot read five whole files, so the prompt carries one region: the focus function (training knows
it; at inference it is the best-ranked function of the graph context that can be found in the files), or the
head of the first file when there is none. The answer is search/replace text (analysis.patch.edits).
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.readers.base import GraphContext, SourceFile
from models.tokenizer import Tokenizer

Focus = tuple[str, int, int]  # path, 1-based first and last line

ISSUE_HEADER = "<issue>\n"
CODE_HEADER = "\n</issue>\n<code>\n"
ANSWER_CUE = "</code>\n<fix>\n"
MAX_CODE_LINES = 60


def prompt_text(issue: str, files: Sequence[SourceFile], focus: Focus | None, max_issue_chars: int = 600) -> str:
    """The prompt up to the answer cue; the code region is ``path`` then its lines, unchanged."""
    region = _region(files, focus)
    return f"{ISSUE_HEADER}{issue.strip()[:max_issue_chars]}{CODE_HEADER}{region}{ANSWER_CUE}"


def focus_region(files: Sequence[SourceFile], focus: Focus | None) -> tuple[SourceFile, int, list[str]] | None:
    """The file shown, the 1-based number of its first shown line and the shown lines (line ends kept): the focus,
    else the first file's head."""
    by_path = {f.path: f for f in files}
    if focus is not None and focus[0] in by_path:
        source, first, last = by_path[focus[0]], focus[1], focus[2]
        return source, first, source.text.splitlines(keepends=True)[first - 1:min(last, first - 1 + MAX_CODE_LINES)]
    if files:
        return files[0], 1, files[0].text.splitlines(keepends=True)[:MAX_CODE_LINES]
    return None


def _region(files: Sequence[SourceFile], focus: Focus | None) -> str:
    shown = focus_region(files, focus)
    if shown is None:
        return ""
    body = "".join(shown[2])
    return f"{shown[0].path}\n{body}{'' if body.endswith(chr(10)) or not body else chr(10)}"


def find_focus(graph: GraphContext | None, files: Sequence[SourceFile]) -> Focus | None:
    """The first FUNCTION node of ``graph`` (its order puts the ranked functions first) located in ``files``.

    A FUNCTION node's sentence is "{header} {name}\\n{comment}{text}"; its code is the sentence less its first line
    (and less the comment lines, tried one by one), found verbatim in a file.
    """
    if graph is None:
        return None
    for node in graph.nodes:
        if node.type != "FUNCTION":
            continue
        lines = node.text.split("\n")
        for skip in range(1, min(len(lines), 12)):
            code = "\n".join(lines[skip:]).strip("\n")
            if not code.strip():
                break
            for source in files:
                at = source.text.find(code)
                if at >= 0:
                    first = source.text.count("\n", 0, at) + 1
                    return source.path, first, first + code.count("\n")
    return None


def prompt_ids(tokenizer: Tokenizer, text: str, max_tokens: int, chat_template: bool = False) -> list[int]:
    """bos + the prompt's tokens, cut before the answer cue when longer than ``max_tokens`` (the cue is kept)."""
    if chat_template:
        head = f"<|im_start|>user\n{text.removesuffix(ANSWER_CUE)}"
        cue = f"{ANSWER_CUE}<|im_end|>\n<|im_start|>assistant\n"
    else:
        head, cue = text.removesuffix(ANSWER_CUE), ANSWER_CUE
    bos = [] if tokenizer.bos is None or chat_template else [tokenizer.bos]
    cue_ids = tokenizer.encode(cue)
    return bos + tokenizer.encode(head)[: max(max_tokens - len(cue_ids) - len(bos), 0)] + cue_ids


def answer_ids(tokenizer: Tokenizer, answer: str, max_tokens: int, eos_id: int | None) -> list[int]:
    """The answer's tokens followed by eos (a training target), cut to ``max_tokens``."""
    ids = tokenizer.encode(answer)[: max_tokens - 1]
    return ids + ([] if eos_id is None else [eos_id])


def stop_id(tokenizer: Tokenizer, chat_template: bool) -> int | None:
    return tokenizer.token_to_id("<|im_end|>") if chat_template else tokenizer.eos
