"""Every class the docs name, and every import the docs show, works from a package a user would look in."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [*sorted(ROOT.glob("docs/**/*.md")), ROOT / "README.md"]
PUBLIC = ("ttc_modules", "ttc_modules.strategies", "ttc_modules.verifiers", "ttc_modules.evaluation",
          "ttc_modules.programs", "ttc_modules.lm", "ttc_modules.testing", "ttc_modules.dropin", "planners")
IMPORT = re.compile(r"^\s*from ((?:ttc_modules|planners)[\w.]*) import ([\w, ]+?)(?: as \w+)?\s*$", re.M)


def named_classes() -> list[str]:
    """Classes of the package that the docs write in code spans (`Name` or `Name(...)`)."""
    written = {m.group(1) for doc in DOCS for m in re.finditer(r"`([A-Z][A-Za-z0-9]+)(?:[.(][^`]*)?`", doc.read_text())}
    defined = {m.group(1) for source in [*ROOT.glob("ttc_modules/**/*.py"), *ROOT.glob("planners/*.py")]
               for m in re.finditer(r"^class ([A-Z][A-Za-z0-9]+)", source.read_text(), re.M)}
    return sorted(written & defined)


@pytest.mark.parametrize("name", named_classes())
def test_a_class_the_docs_name_is_importable_from_a_public_package(name):
    assert any(hasattr(importlib.import_module(package), name) for package in PUBLIC), (
        f"{name} is named in the docs but exported by none of {', '.join(PUBLIC)}")


@pytest.mark.parametrize("module, names", sorted({m.groups() for doc in DOCS for m in IMPORT.finditer(doc.read_text())}))
def test_an_import_the_docs_show_works(module, names):
    imported = importlib.import_module(module)
    for name in (n.strip() for n in names.split(",")):
        assert hasattr(imported, name), f"from {module} import {name} fails"
