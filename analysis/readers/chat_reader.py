"""A reader over any chat model: the prompt that fixes the search/replace answer format, and its parsing."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.patch.edits import parse_edits
from analysis.readers.base import ChatMessage, ChatModel, ReaderReply, ReaderRequest

SYSTEM_PROMPT = (
    "You are an expert software engineer. You fix the issue you are given by editing the repository files shown "
    "to you, and you answer only with search/replace blocks."
)

FORMAT_RULES = """Answer with one or more search/replace blocks and nothing else. Each block is:

path/relative/to/repository/file.py
<<<<<<< SEARCH
lines copied exactly from the current file, enough of them to be unique
=======
the lines that replace them
>>>>>>> REPLACE

Rules: copy the SEARCH lines character for character, indentation included; keep each block small; use only the
files listed above; to create a new file, leave the SEARCH part empty."""


@dataclass(frozen=True)
class PromptBudget:
    """How much file text goes into the prompt: files are added in rank order until the budget is spent."""

    max_file_chars: int = 60_000
    max_subgraph_chars: int = 8_000


def reader_messages(request: ReaderRequest, budget: PromptBudget = PromptBudget()) -> list[ChatMessage]:
    parts = [f"<issue>\n{request.issue.strip()}\n</issue>\n"]
    if request.subgraph:
        parts.append(f"<code_graph>\n{request.subgraph[: budget.max_subgraph_chars]}\n</code_graph>\n")
    left = budget.max_file_chars
    for source in request.files:
        if left <= 0:
            break
        text = source.text[:left]
        left -= len(text)
        fence = "````" if "```" in text else "```"
        parts.append(f"{source.path}\n{fence}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}\n")
    parts.append(FORMAT_RULES)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(parts)}]


@dataclass(frozen=True)
class ChatReader:
    """`Reader` that asks `chat` for search/replace blocks."""

    chat: ChatModel
    name: str = "openai"
    max_tokens: int = 2048
    temperature: float = 0.0
    budget: PromptBudget = PromptBudget()

    def read(self, request: ReaderRequest, cancelled: Callable[[], bool] | None = None) -> ReaderReply:
        raw = self.chat.complete(
            reader_messages(request, self.budget),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            cancelled=cancelled,
        )
        parsed = parse_edits(raw)
        return ReaderReply(edits=parsed.edits, raw=raw, dropped=parsed.dropped)
