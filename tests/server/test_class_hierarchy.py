"""Type hierarchy and implementations from the graph's `extends` edges, end to end, under UTF-16 and UTF-8."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient

from tests.server.harness import FIXTURE_PROJECT, encoding, initialize_result, open_document, text_in

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIGURES = '''from geometry.shapes import Größe


class Quadrat(Größe):
    """A square 😀."""


class Würfel(Quadrat):
    def doppelt(self) -> int:
        return 8


class Henne(Ei):
    """Comes from an egg."""


class Ei(Henne):
    """Comes from a hen."""


def fläche_von(q: Quadrat) -> int:
    return q.doppelt()
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project plus geometry/figures.py, whose classes extend shapes.Größe and each other."""
    root = tmp_path_factory.mktemp("workspace") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    (root / "geometry" / "figures.py").write_text(FIGURES, encoding="utf-8")
    return root


def names(items: list[types.TypeHierarchyItem] | None) -> list[str]:
    return [item.name for item in items or []]


async def prepare(
    client: LanguageClient, project: Path, needle: str, offset: int
) -> list[types.TypeHierarchyItem] | None:
    figures = open_document(client, project / "geometry" / "figures.py")
    position = figures.position(needle, offset=offset)
    return await client.text_document_prepare_type_hierarchy_async(
        types.TypeHierarchyPrepareParams(text_document=figures.identifier, position=position)
    )


async def test_the_capabilities_are_advertised(client: LanguageClient) -> None:
    capabilities = initialize_result(client).capabilities
    assert capabilities.type_hierarchy_provider and capabilities.implementation_provider


async def test_supertypes_and_subtypes_across_files(client: LanguageClient, project: Path) -> None:
    (quadrat,) = await prepare(client, project, "class Quadrat", offset=6)
    assert quadrat.name == "Quadrat" and quadrat.kind == types.SymbolKind.Class
    assert text_in(Path(to_fs_path(quadrat.uri)), quadrat.selection_range, encoding(client)) == "Quadrat"
    (base,) = await client.type_hierarchy_supertypes_async(types.TypeHierarchySupertypesParams(item=quadrat))
    assert base.name == "Größe" and base.uri.endswith("geometry/shapes.py")
    assert text_in(Path(to_fs_path(base.uri)), base.selection_range, encoding(client)) == "Größe"
    subclasses = await client.type_hierarchy_subtypes_async(types.TypeHierarchySubtypesParams(item=base))
    assert names(subclasses) == ["Quadrat"]
    below = await client.type_hierarchy_subtypes_async(types.TypeHierarchySubtypesParams(item=quadrat))
    assert names(below) == ["Würfel"]
    assert await client.type_hierarchy_supertypes_async(types.TypeHierarchySupertypesParams(item=base)) is None


async def test_a_use_of_a_class_name_prepares_that_class_and_a_function_prepares_nothing(
    client: LanguageClient, project: Path
) -> None:
    assert names(await prepare(client, project, "Größe):", offset=2)) == ["Größe"]
    assert names(await prepare(client, project, "q: Quadrat", offset=4)) == ["Quadrat"]
    assert await prepare(client, project, "def fläche_von", offset=5) is None


async def test_cyclic_bases_answer_one_level_at_a_time(client: LanguageClient, project: Path) -> None:
    (henne,) = await prepare(client, project, "class Henne", offset=6)
    (ei,) = await client.type_hierarchy_supertypes_async(types.TypeHierarchySupertypesParams(item=henne))
    assert ei.name == "Ei"
    above = await client.type_hierarchy_supertypes_async(types.TypeHierarchySupertypesParams(item=ei))
    assert names(above) == ["Henne"]
    assert names(await client.type_hierarchy_subtypes_async(types.TypeHierarchySubtypesParams(item=henne))) == ["Ei"]


async def implementations(client: LanguageClient, path: Path, needle: str, offset: int) -> list[str]:
    """What the locations of textDocument/implementation cover, as "file: text"."""
    document = open_document(client, path)
    found = await client.text_document_implementation_async(
        types.ImplementationParams(text_document=document.identifier, position=document.position(needle, offset=offset))
    )
    return [f"{Path(to_fs_path(hit.uri)).name}: {text_in(Path(to_fs_path(hit.uri)), hit.range, encoding(client))}"
            for hit in found or []]


async def test_implementations_of_a_class_and_of_a_method(client: LanguageClient, project: Path) -> None:
    shapes = project / "geometry" / "shapes.py"
    assert await implementations(client, shapes, "class Größe", 6) == ["figures.py: Quadrat", "figures.py: Würfel"]
    assert await implementations(client, shapes, "def doppelt", 5) == ["figures.py: doppelt"]
    figures = project / "geometry" / "figures.py"
    assert await implementations(client, figures, "class Henne", 6) == ["figures.py: Ei"]  # the cycle ends
    assert await implementations(client, figures, "def fläche_von", 5) == []  # not a method


async def test_hover_names_bases_subclasses_and_the_overridden_method(client: LanguageClient, project: Path) -> None:
    figures = open_document(client, project / "geometry" / "figures.py")
    quadrat = await client.text_document_hover_async(
        types.HoverParams(text_document=figures.identifier, position=figures.position("class Quadrat", offset=6))
    )
    assert quadrat is not None and "extends `Größe` · 1 subclass" in quadrat.contents.value
    doppelt = await client.text_document_hover_async(
        types.HoverParams(text_document=figures.identifier, position=figures.position("def doppelt", offset=5))
    )
    assert doppelt is not None and "overrides `Größe.doppelt`" in doppelt.contents.value


async def test_an_item_without_data_is_found_by_its_name_and_unsaved_edits_show(
    client: LanguageClient, project: Path
) -> None:
    (quadrat,) = await prepare(client, project, "class Quadrat", offset=6)
    quadrat.data = None  # a client may drop `data`
    figures = open_document(client, project / "geometry" / "figures.py")
    end = figures.offset_position(len(figures.text))
    figures.edit(types.Range(end, end), "\n\nclass Fliese(Quadrat):\n    pass\n")  # unsaved: only the buffer has it
    subclasses = await client.type_hierarchy_subtypes_async(types.TypeHierarchySubtypesParams(item=quadrat))
    assert names(subclasses) == ["Fliese", "Würfel"]  # by node id
