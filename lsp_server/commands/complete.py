"""`rodimus-lsp complete FILE --line L --column C`: one completion at that position."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from completion.line_breaks import to_lf, with_line_break
from lsp_server.documents import Lines
from lsp_server.errors import UsageError

HELP = "one completion at a position of FILE"
EPILOG = """examples:
  rodimus-lsp complete src/app.py --line 12 --column 9
  rodimus-lsp complete src/app.py --line 12 --column 9 --max-tokens 32 --json

Line and column are 1-based; the column counts characters. --json prints {"text", "ms", "tokens"}:
"ms" covers reading the document into the model and generating, not loading the model."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the source file")
    parser.add_argument("--line", type=int, required=True, metavar="L", help="1-based line of the cursor")
    parser.add_argument("--column", type=int, required=True, metavar="C", help="1-based column (characters)")
    parser.add_argument("--max-tokens", type=int, default=64, metavar="N", help="most tokens to generate")
    parser.add_argument("--model", metavar="DIR", help="model folder (default: the bundled starter checkpoint)")
    parser.add_argument("--language", help="language id (default: from the file extension)")
    parser.add_argument("--fim", action="store_true",
                        help="fill-in-the-middle prompt with the text after the cursor (default: the prefix alone)")
    parser.add_argument("--no-document-cache", action="store_true",
                        help="the model alone, without the document cache model (completion/ngram_cache.py)")
    parser.add_argument("--json", action="store_true", help='print {"text", "ms", "tokens"}')


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"FILE {args.file!r} is not a file")
    from analysis.text_encoding import file_encoding
    from completion.languages import language_for_path

    language = args.language or language_for_path(str(path))
    data = path.read_bytes()
    encoding = file_encoding(data, python=language == "python")
    if encoding is None:
        raise UsageError(f"FILE {args.file!r} is neither UTF-8 nor in an encoding it declares (PEP 263)")
    text = data.decode(encoding)
    view = to_lf(text)  # what the model reads (completion.line_breaks); columns count the same in both
    lines = view.split("\n")
    if not 1 <= args.line <= len(lines):
        raise UsageError(f"--line {args.line} is outside the file's lines 1..{len(lines)}")
    line = lines[args.line - 1]
    if not 1 <= args.column <= len(line) + 1:
        raise UsageError(f"--column {args.column} is outside line {args.line}'s columns 1..{len(line) + 1}")
    if args.max_tokens < 1:
        raise UsageError(f"--max-tokens must be >= 1, got {args.max_tokens}")

    from completion.context import CompletionContext, Trigger
    from completion.loader import load_completion_model
    from completion.options import GenerationOptions, document_cache
    from completion.pipeline import run_request
    from completion.session import DocumentSession

    try:
        lm, codec = load_completion_model(args.model)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    byte_col = len(line[: args.column - 1].encode("utf-8"))
    started = time.perf_counter()
    cache = document_cache(not args.no_document_cache)
    session = DocumentSession(lm, codec, view, fim=args.fim, cache=cache)
    ctx = CompletionContext.in_text(view, args.line - 1, byte_col, uri=path.resolve().as_uri(),
                                    language_id=language, trigger=Trigger.INVOKED)
    options = GenerationOptions(max_tokens=args.max_tokens, fim=args.fim, cache=cache)
    outcome = run_request(session, ctx, options, lambda: False, started)
    ms = 1000 * (time.perf_counter() - started)
    suggestion = with_line_break(outcome.text, Lines(text).line_break(args.line - 1))
    if args.json:
        print(json.dumps({"text": suggestion, "ms": round(ms, 1), "tokens": outcome.tokens}))
    else:
        print(suggestion)
    return 0
