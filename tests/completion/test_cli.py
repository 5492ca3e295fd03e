"""`rodimus-lsp complete FILE --line L --column C`: JSON output and usage errors (exit 2, one line)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsp_server.cli import main
from tests.completion.edits import BASE


@pytest.mark.parametrize("flags", [[], ["--no-document-cache"], ["--fim"]])
def test_json_output(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str],
                     flags: list[str]) -> None:
    source = tmp_path / "app.py"
    source.write_text(BASE, encoding="utf-8")
    line = BASE.split("\n").index("def main():") + 2  # 1-based: the line after "def main():"
    code = main(["complete", str(source), "--line", str(line), "--column", "5", "--max-tokens", "5", "--json",
                 "--model", str(tiny_model_dir), *flags])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"text", "ms", "tokens"} and 0 <= result["tokens"] <= 5


@pytest.mark.parametrize(("args", "message"), [
    (["--line", "9", "--column", "1"], "outside the file's lines 1..2"),
    (["--line", "1", "--column", "99"], "outside line 1's columns 1..6"),
    (["--line", "1", "--column", "1", "--max-tokens", "0"], "--max-tokens must be >= 1"),
])
def test_usage_errors(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                      message: str) -> None:
    source = tmp_path / "app.py"
    source.write_text("x = 1\n", encoding="utf-8")
    assert main(["complete", str(source), *args, "--model", str(tiny_model_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_model_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "app.py"
    source.write_text("x = 1\n", encoding="utf-8")
    assert main(["complete", str(source), "--line", "1", "--column", "1", "--model", str(tmp_path / "none")]) == 2
    assert "no model folder" in capsys.readouterr().err


def test_a_crlf_file_gets_the_suggestion_of_its_lf_copy_with_crlf(tmp_path: Path, tiny_model_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    line = BASE.split("\n").index("def main():") + 2
    suggestions = []
    for name, text in [("lf.py", BASE), ("crlf.py", BASE.replace("\n", "\r\n"))]:
        (tmp_path / name).write_bytes(text.encode("utf-8"))
        assert main(["complete", str(tmp_path / name), "--line", str(line), "--column", "5", "--max-tokens", "12",
                     "--json", "--model", str(tiny_model_dir)]) == 0
        suggestions.append(json.loads(capsys.readouterr().out)["text"])
    lf, crlf = suggestions
    assert crlf == lf.replace("\n", "\r\n")


def test_a_python_file_in_a_declared_encoding_completes_and_an_undecodable_one_is_a_usage_error(
        tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    declared = tmp_path / "legacy.py"
    declared.write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    assert main(["complete", str(declared), "--line", "2", "--column", "14", "--max-tokens", "4",
                 "--model", str(tiny_model_dir)]) == 0
    undecodable = tmp_path / "broken.py"
    undecodable.write_bytes(b"name = 'caf\xe9'\n")
    assert main(["complete", str(undecodable), "--line", "1", "--column", "1", "--model", str(tiny_model_dir)]) == 2
    assert "neither UTF-8 nor in an encoding it declares" in capsys.readouterr().err
