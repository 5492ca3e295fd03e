"""Shared fixtures of the localization tests: the fixture repository, indexed, and its localization index."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE_REPO = Path(__file__).parent / "fixture_repo"
collect_ignore = ["fixture_repo"]  # its tests belong to the fixture, not to this suite


@pytest.fixture(scope="session")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture repository (tests may write patches into it)."""
    root = tmp_path_factory.mktemp("localize") / "shop-repo"
    shutil.copytree(FIXTURE_REPO, root)
    return root


@pytest.fixture(scope="session")
def index(repo: Path, tmp_path_factory: pytest.TempPathFactory):
    from analysis.localize import LocalizationIndex
    from analysis.workspace import Workspace

    workspace = Workspace(repo, cache_dir=tmp_path_factory.mktemp("graph-cache"))
    workspace.index()
    return LocalizationIndex.build(workspace.graph, workspace.root)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> Path:
    """A model folder with a tiny random backbone and a random search head in embedder/."""
    import torch

    from models.bpe_trainer import train_bpe
    from models.checkpoint import save_model
    from models.embedder import EmbedderConfig, SearchHead, backbone_digest, save_head
    from models.tokenizer import Tokenizer
    from tests.search.conftest import tiny_backbone

    texts = [path.read_text(encoding="utf-8") for path in sorted(repo.rglob("*.py"))]
    tokenizer = Tokenizer(train_bpe(texts * 4, vocab_size=400))
    folder = tmp_path_factory.mktemp("tiny-head-model")
    backbone = tiny_backbone(tokenizer.vocab_size)
    save_model(backbone, tokenizer, folder)
    torch.manual_seed(1)
    config = EmbedderConfig(hidden_size=32, vocab_size=tokenizer.vocab_size, token_dim=8, embedding_dim=16,
                            num_heads=4, max_query_tokens=64, max_code_tokens=96,
                            backbone_digest=backbone_digest(folder))  # fmt: skip
    head = SearchHead(config)
    head.init_tokens(backbone.model.embeddings.weight.detach())
    save_head(head, config, folder / "embedder")
    return folder
