"""`rodimus-lsp serve-model`: an OpenAI-compatible HTTP server over a local model folder."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lsp_server.errors import UsageError

HELP = "serve a local model over an OpenAI-compatible HTTP API"
EPILOG = """examples:
  rodimus-lsp serve-model                                   the starter model on http://127.0.0.1:8000/v1
  rodimus-lsp serve-model --model ~/models/cgm --host 0.0.0.0 --port 8000 --device cuda
  RODIMUS_KEY=secret rodimus-lsp serve-model --api-key-env RODIMUS_KEY

Routes: GET /v1/models, POST /v1/completions, POST /v1/chat/completions ("stream": true for server-sent
events). Point an editor at it with cgm.backend "openai", cgm.endpoint "http://HOST:PORT/v1" and cgm.model NAME.
The first line on stdout is "serving NAME at URL" (with --port 0, the port the system picked)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="DIR", help="model folder (default: the bundled starter checkpoint)")
    parser.add_argument("--name", help="the model name clients send and /v1/models lists (default: the folder name)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000,
                        help="port to listen on; 0 picks a free one (default: %(default)s)")  # fmt: skip
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default: %(default)s)")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"))
    parser.add_argument("--max-tokens", type=int, default=256, metavar="N",
                        help="completion length when a request gives none (default: %(default)s)")  # fmt: skip
    parser.add_argument("--max-prompt-tokens", type=int, default=16384, metavar="N",
                        help="longer prompts keep their last N tokens (default: %(default)s)")  # fmt: skip
    parser.add_argument("--api-key-env", metavar="VAR", help="require `Authorization: Bearer $VAR` on every request")


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port < 65536:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    if args.max_tokens < 1 or args.max_prompt_tokens < 1:
        raise UsageError("--max-tokens and --max-prompt-tokens must be >= 1")

    from completion.loader import default_model_dir, resolve_device, resolve_dtype
    from lsp_server.logs import configure_logging
    from models.checkpoint import load_model
    from models.serving import ServerConfig, make_server

    configure_logging(None)
    folder = Path(args.model).expanduser() if args.model else default_model_dir()
    if not (folder / "config.json").is_file():
        raise UsageError(f"no model folder (config.json) at {folder}")
    try:
        device = resolve_device(args.device)
    except RuntimeError as exc:
        raise UsageError(f"--device {args.device!r}: {exc}") from exc
    model, tokenizer = load_model(folder, device, resolve_dtype(args.dtype, device))
    if tokenizer is None:
        raise UsageError(f"{folder} has no tokenizer.json")
    config = ServerConfig(model_name=args.name or folder.resolve().name, default_max_tokens=args.max_tokens,
                          api_key_env=args.api_key_env)  # fmt: skip
    try:
        server = make_server(model, tokenizer, config, args.host, args.port, args.max_prompt_tokens)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    print(f"serving {config.model_name} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
