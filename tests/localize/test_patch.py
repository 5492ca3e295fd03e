"""Search/replace parsing and patch validation: clean application, no new syntax errors, inside the root."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.patch.apply import PatchError, build_patch, write_patch
from analysis.patch.edits import SearchReplace, parse_edits

REPLY = """I will fix the rounding.

```python
### shop/pricing.py
<<<<<<< SEARCH
def round_price(amount: float) -> float:
    \"\"\"Round to cents.\"\"\"
    return round(amount, 2)
=======
def round_price(amount: float) -> float:
    \"\"\"Round to cents, halves up.\"\"\"
    return float(f"{amount + 1e-9:.2f}")
>>>>>>> REPLACE
```

File: `shop/util/text.py`
<<<<<<<< SEARCH
    return " ".join(text.split())
========
    return " ".join(text.split()).strip()
>>>>>>>> REPLACE

shop/cart.py
<<<<<<< SEARCH
    def subtotal(self) -> float:
=======
"""


@pytest.fixture
def root(repo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy)
    return copy


def test_parse_edits_with_fences_decorated_names_crlf_and_a_truncated_block() -> None:
    parsed = parse_edits(REPLY.replace("\n", "\r\n"))
    assert [e.path for e in parsed.edits] == ["shop/pricing.py", "shop/util/text.py"]
    assert parsed.edits[0].search.startswith("def round_price") and "\r" not in parsed.edits[0].search
    assert parsed.edits[1].replace == '    return " ".join(text.split()).strip()\n'
    assert parsed.dropped == 1  # the cut-off shop/cart.py block is never applied


def test_build_patch_gives_a_diff_that_git_applies(root: Path) -> None:
    patch = build_patch(root, parse_edits(REPLY).edits)
    assert patch.files == ["shop/pricing.py", "shop/util/text.py"]
    diff = patch.diff()
    header = "diff --git a/shop/pricing.py b/shop/pricing.py\n--- a/shop/pricing.py\n+++ b/shop/pricing.py"
    assert diff.startswith(header)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "apply", "--check", "-"], input=diff.encode(), check=True)
    write_patch(root, patch)
    assert 'return float(f"{amount + 1e-9:.2f}")' in (root / "shop/pricing.py").read_text()


def test_trailing_whitespace_differences_still_apply_and_crlf_files_keep_crlf(root: Path) -> None:
    target = root / "shop/inventory.py"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    edit = SearchReplace("shop/inventory.py", "    def release(self, sku: str, quantity: int) -> None:   \n",
                         "    def release(self, sku: str, quantity: int = 1) -> None:\n")  # fmt: skip
    (change,) = build_patch(root, [edit]).changes
    assert "quantity: int = 1) -> None:\r\n" in change.new and "\n" not in change.new.replace("\r\n", "")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (SearchReplace("shop/cart.py", "def no_such_function():\n", "x\n"), "not found"),
        (SearchReplace("shop/cart.py", "for line in self.lines", "for item in self.lines"), "occurs"),
        (SearchReplace("shop/missing.py", "a\n", "b\n"), "does not exist"),
        (SearchReplace("shop/pricing.py", "TAX_RATE = 0.2\n", "TAX_RATE = (0.2\n"), "syntax errors"),
        (SearchReplace("../outside.py", "", "print('escaped')\n"), "outside the workspace"),
        (SearchReplace("/etc/passwd", "root", "toor"), "outside the workspace"),
        (SearchReplace(".git/config", "", "[core]\n"), "outside the workspace"),
    ],
    ids=["not-applying", "ambiguous", "missing-file", "error-introducing", "parent-dir", "absolute", "dot-git"],
)
def test_invalid_patches_are_rejected(root: Path, edit: SearchReplace, problem: str) -> None:
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(PatchError) as raised:
        build_patch(root, [edit])
    assert problem in str(raised.value)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert not (root.parent / "outside.py").exists()


def test_a_symlink_leaving_the_root_is_outside(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.py").write_text("x = 1\n")
    os.symlink(outside, root / "link")
    with pytest.raises(PatchError, match="outside the workspace"):
        build_patch(root, [SearchReplace("link/secret.py", "x = 1\n", "x = 2\n")])


def test_an_empty_search_creates_a_new_file_and_an_existing_error_is_not_held_against_the_patch(root: Path) -> None:
    (root / "shop/broken.py").write_text("def f(:\n    pass\n\nVALUE = 1\n")
    patch = build_patch(root, [
        SearchReplace("shop/discounts.py", "", "def half(x):\n    return x / 2\n"),
        SearchReplace("shop/broken.py", "VALUE = 1\n", "VALUE = 2\n"),
    ])  # fmt: skip
    created = next(c for c in patch.changes if c.path == "shop/discounts.py")
    assert created.old is None and "new file mode" in patch.diff()


LATIN1_COOKIE = "# -*- coding: latin-1 -*-\n"


def test_a_file_in_a_declared_encoding_is_read_and_written_back_in_it(root: Path) -> None:
    target = root / "shop/legacy.py"
    target.write_bytes((LATIN1_COOKIE + "GREETING = 'caf\xe9'\n").encode("latin-1"))
    patch = build_patch(root, [SearchReplace("shop/legacy.py", "GREETING = 'caf\xe9'\n", "GREETING = 'd\xe9j\xe0'\n")])
    assert patch.changes[0].old == LATIN1_COOKIE + "GREETING = 'caf\xe9'\n"
    write_patch(root, patch)
    assert target.read_bytes() == (LATIN1_COOKIE + "GREETING = 'd\xe9j\xe0'\n").encode("latin-1")


@pytest.mark.parametrize(
    ("legacy", "replace", "problem"),
    [
        (b"GREETING = 'caf\xe9'\n", "GREETING = 'tea' or ", "neither UTF-8 nor in an encoding it declares"),
        (
            (LATIN1_COOKIE + "GREETING = 'caf\xe9'\n").encode("latin-1"),
            "GREETING = '\u20ac' or ",
            "cannot hold '\u20ac'",
        ),
    ],
    ids=["undecodable", "unencodable"],
)
def test_a_write_that_would_lose_bytes_writes_no_file(root: Path, legacy: bytes, replace: str, problem: str) -> None:
    (root / "shop/legacy.py").write_bytes(legacy)
    patch = build_patch(root, [
        SearchReplace("shop/pricing.py", "TAX_RATE = 0.2\n", "TAX_RATE = 0.25\n"),
        SearchReplace("shop/legacy.py", "GREETING = ", replace),
    ])  # fmt: skip
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(PatchError, match=problem):
        write_patch(root, patch)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before  # not even shop/pricing.py


def test_a_file_changed_after_the_patch_was_made_is_not_overwritten(root: Path) -> None:
    patch = build_patch(root, [SearchReplace("shop/pricing.py", "TAX_RATE = 0.2\n", "TAX_RATE = 0.25\n")])
    edited = (root / "shop/pricing.py").read_text() + "\nEXTRA = 1\n"
    (root / "shop/pricing.py").write_text(edited)
    with pytest.raises(PatchError, match="changed after the patch was made"):
        write_patch(root, patch)
    assert (root / "shop/pricing.py").read_text() == edited
