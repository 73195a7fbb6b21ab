"""The contract module is the one leaf both sides share."""

from __future__ import annotations

import ast
from pathlib import Path

from edge import barcode, carriers
from sync import contract

ROOT = Path(__file__).resolve().parent.parent


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.split(".")[0] in {"edge", "sync", "web"}}


def test_contract_is_a_leaf() -> None:
    assert _project_imports(ROOT / "sync" / "contract.py") == set()


def test_edge_vocabularies_are_the_contracts() -> None:
    assert barcode.SCAN_TYPES is contract.SCAN_TYPES
    assert barcode.DISPATCH_REASONS is contract.DISPATCH_REASONS
    assert barcode.PROBLEM_CODES is contract.PROBLEM_CODES
    assert barcode.SIGNER_RELATIONS is contract.SIGNER_RELATIONS
    assert barcode.WAYBILL is contract.WAYBILL
    assert carriers.CARRIERS is contract.CARRIERS


def test_every_carrier_code_fits_the_carrier_field() -> None:
    assert all(contract.CARRIER.fullmatch(code) for code in contract.CARRIERS)


def test_the_documented_contract_names_every_vocabulary_word() -> None:
    text = (ROOT / "docs" / "HEAD-OFFICE-API.md").read_text(encoding="utf-8")
    words = (
        contract.SCAN_TYPES
        + contract.DISPATCH_REASONS
        + contract.PROBLEM_CODES
        + contract.SIGNER_RELATIONS
        + tuple(contract.CARRIERS)
    )
    assert [w for w in words if f"`{w}`" not in text and f'"{w}"' not in text] == []
