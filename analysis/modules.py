"""Python module names of a workspace's files, from the package structure (`__init__.py` files)."""
from __future__ import annotations

import posixpath
from collections.abc import Iterable

_INIT_NAMES = ("__init__.py", "__init__.pyi")


def is_package_init(rel: str) -> bool:
    return posixpath.basename(rel) in _INIT_NAMES


def module_names(python_files: Iterable[str]) -> dict[str, str]:
    """rel -> dotted module name. A file's package chain is the run of directories above it that hold an
    `__init__.py`; the directory above that chain is a source root, so `src/pkg/mod.py` is `pkg.mod`."""
    files = list(python_files)
    packages = {posixpath.dirname(r) for r in files if is_package_init(r)}
    out: dict[str, str] = {}
    for rel in files:
        directory, name = posixpath.split(rel)
        stem = name.rsplit(".", 1)[0]
        parts = [] if stem == "__init__" else [stem]
        while directory and directory in packages:
            directory, package = posixpath.split(directory)
            parts.append(package)
        if parts:
            out[rel] = ".".join(reversed(parts))
    return out


def module_table(module_of: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """dotted name -> the file that provides it (a .py over a .pyi stub, then the shortest path), and the set of
    dotted prefixes of all module names (packages, including namespace packages)."""
    modules: dict[str, str] = {}
    for rel, dotted in sorted(module_of.items(), key=lambda kv: (kv[0].endswith(".pyi"), len(kv[0]), kv[0])):
        modules.setdefault(dotted, rel)
    prefixes: set[str] = set()
    for dotted in modules:
        cut = dotted.rfind(".")
        while cut > 0:
            prefix = dotted[:cut]
            if prefix in prefixes:
                break
            prefixes.add(prefix)
            cut = prefix.rfind(".")
    return modules, prefixes
