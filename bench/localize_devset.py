"""Mine a localization dev set from the git history of Python repositories (used by bench/localize.py).

An instance is a commit whose subject line says fix/bug/issue and that modifies 1 to 3 existing non-test `.py` files
(any number of other files may change). Its commit message (subject and body, trailers dropped) is the issue
text, the modified non-test `.py` files are the gold files, and the old-side lines its hunks touch locate the gold
functions once the graph of the parent commit is built. Commits about typos, formatting, linting, typing, docs,
releases or CI are skipped: they are not bug reports. Nothing fetched is ever committed; the dev set and the
working folders are cached under data/ (git-ignored).
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from analysis.localize.index import is_auxiliary

FIX_WORDS = re.compile(r"\b(?:fix|fixes|fixed|fixing|bug|bugs|bugfix|issue)\b", re.IGNORECASE)
NOT_A_BUG = re.compile(
    r"\b(?:typos?|spelling|lint|linting|flake8|ruff|pylint|mypy|pyright|typing|type hints?|annotations?|black|"
    r"isort|format|formatting|style|docs?|documentation|docstrings?|changelog|release|bump|version|revert|ci|"
    r"pre-commit|tox|deprecation warnings?|coverage)\b",
    re.IGNORECASE,
)
TRAILER = re.compile(r"^(?:[A-Z][\w-]*-by|Co-authored-by|Change-Id|Closes|Refs?):.*$", re.IGNORECASE | re.MULTILINE)
MAX_CHANGED_LINES = 150
MIN_WORDS = 5
_RECORD = "\x1e"
_FIELD = "\x00"


@dataclass(frozen=True)
class Instance:
    repo: str  # owner/name
    commit: str
    parent: str
    issue: str
    gold_files: tuple[str, ...]
    changed_lines: dict[str, list[int]]  # gold file -> 1-based old-side lines the fix touches

    @property
    def key(self) -> str:
        return f"{self.repo.replace('/', '+')}@{self.commit[:12]}"


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True, errors="replace"
    ).stdout


def mine(git_dir: Path, repo: str, limit: int, scan: int = 3000) -> list[Instance]:
    """Up to `limit` instances from the newest `scan` non-merge commits of `git_dir`, newest first."""
    log = _git(
        git_dir,
        "log",
        "--no-merges",
        f"-n{scan}",
        "--format=%x1e%H%x00%P%x00%B%x00",
        "--name-status",
        "--no-renames",
    )
    out: list[Instance] = []
    for record in log.split(_RECORD)[1:]:
        commit, parents, message, status = record.split(_FIELD, 3)
        subject = message.split("\n", 1)[0]
        if len(parents.split()) != 1 or not FIX_WORDS.search(subject) or NOT_A_BUG.search(subject):
            continue
        issue = TRAILER.sub("", message).strip()
        if len(issue.split()) < MIN_WORDS:
            continue
        changed = [line.split("\t") for line in status.strip().splitlines() if "\t" in line]
        python = [(s, p) for s, p in changed if p.endswith(".py") and not is_auxiliary(p)]
        if not 1 <= len(python) <= 3 or any(s != "M" for s, _ in python):
            continue
        gold = tuple(sorted(p for _, p in python))
        lines = _changed_old_lines(git_dir, parents.strip(), commit, gold)
        if lines is None:
            continue
        out.append(Instance(repo, commit, parents.strip(), issue, gold, lines))
        if len(out) >= limit:
            break
    return out


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def _changed_old_lines(git_dir: Path, parent: str, commit: str, files: tuple[str, ...]) -> dict[str, list[int]] | None:
    """Old-side lines each file's hunks remove or insert at; None when the diff is too large to be a bug fix."""
    diff = _git(git_dir, "diff", "-U0", parent, commit, "--", *files)
    lines: dict[str, list[int]] = {}
    current: str | None = None
    total = 0
    for line in diff.splitlines():
        if line.startswith("--- "):
            continue
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else None
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            # A pure insertion (count 0) sits after old line `start`.
            lines.setdefault(current, []).extend(range(start, start + count) if count else [max(start, 1)])
        elif line[:1] in "+-":
            total += 1
    if total > MAX_CHANGED_LINES or set(lines) != set(files):
        return None
    return lines


def load_or_mine(cache: Path, repos: dict[str, Path], per_repo: int) -> list[Instance]:
    """The cached dev set when it was mined with the same repositories and limit, else mine and cache it."""
    signature = {"repos": sorted(repos), "per_repo": per_repo}
    if cache.is_file():
        data = json.loads(cache.read_text())
        if data.get("signature") == signature:
            return [_instance(item) for item in data["instances"]]
    instances = [inst for repo, git_dir in sorted(repos.items()) for inst in mine(git_dir, repo, per_repo)]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"signature": signature, "instances": [asdict(i) for i in instances]}, indent=1))
    return instances


def _instance(item: dict) -> Instance:
    return Instance(
        item["repo"], item["commit"], item["parent"], item["issue"], tuple(item["gold_files"]), item["changed_lines"]
    )


def checkout(git_dir: Path, commit: str, clone: Path) -> Path:
    """`clone` (a shared clone of `git_dir`, made once) checked out at `commit`, untracked files removed.

    One working folder per repository keeps unchanged files (and their modification times) between instances,
    so the graph cache of the previous instance is mostly reused.
    """
    if not (clone / ".git").is_dir():
        clone.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(git_dir), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--force", "--detach", commit], check=True)
    subprocess.run(["git", "-C", str(clone), "clean", "-qfdx"], check=True)
    return clone
