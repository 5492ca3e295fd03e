"""The shipped starter reader on synthetic bugs in standard-library files it was never trained on (the corpus's
held-out split): it must fix at least three times as many of them as a random pick among the same repair
candidates would, and answer every one. The model is the one users get, so this is the quality check of its training."""
from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

from analysis.readers.config import shipped_reader_dir
from models.cgm.answer import answer_text
from models.cgm.decode import repair_candidates
from models.cgm.fix_rate import is_fixed
from models.cgm.items import ItemBuilder
from models.cgm.reader import LocalReader
from models.cgm.reader_data import build_fix_samples

# held-out files of the reader's training corpus (data/corpus/heldout.jsonl) that every CPython 3.10+ has
HELDOUT_FILES = ("_weakrefset.py", "chunk.py", "socketserver.py", "unittest/case.py", "idlelib/percolator.py",
                 "turtledemo/chaos.py")
BUGS = 12  # two per file


@pytest.fixture(scope="module")
def heldout_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    folder = tmp_path_factory.mktemp("heldout-corpus")
    records = [{"path": f"python-stdlib/{name}", "package": "python-stdlib",
                "text": (stdlib / name).read_text(encoding="utf-8")} for name in HELDOUT_FILES]  # fmt: skip
    (folder / "heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


def test_the_starter_reader_fixes_held_out_bugs_well_above_chance(heldout_corpus: Path) -> None:
    folder = shipped_reader_dir()
    assert folder is not None, "models/starter/reader/ is missing"
    reader = LocalReader.from_folder(folder)
    builder = ItemBuilder(reader.model.config, reader.tokenizer, reader.encoder)
    samples = build_fix_samples(heldout_corpus, "heldout", BUGS, seed=0, noise=False)
    assert len(samples) == BUGS
    fixed, chance = 0, 0.0
    for sample in samples:
        answer = answer_text(reader.model, builder, sample.issue, sample.files, sample.focus, sample.graph)
        assert answer, sample.issue
        fixed += is_fixed(sample, answer)
        path, first, last = sample.focus
        candidates = repair_candidates(path, sample.files[0].text, first,
                                       sample.files[0].text.split("\n")[first - 1:last])
        chance += 1 / len(candidates)
    assert fixed >= max(3 * chance, 2), (fixed, chance)
