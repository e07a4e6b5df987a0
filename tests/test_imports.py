"""No module of ours is imported inside a function, but by the command lines: an import hidden in a function
dodged a package circle (the channels' parsers did, until `channels.readers`) and hid what a module needs.
The command lines import each command's modules in that command, so that each `pakn <command>` process
loads only its own part (said in pakn/app/cli.py)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.conftest import REPO

OURS = ("pakn", "channels", "normalizer", "dispatcher", "config")
COMMAND_LINES = {"pakn/app/cli.py", "channels/hotline/cli.py"}


def imports_in_functions(path: Path) -> list[str]:
    """``line: module`` of each import of our own code inside a function of ``path``."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = ["." * node.level + (node.module or "")]
            else:
                continue
            found += [f"{node.lineno}: {m}" for m in modules if m.startswith(".") or m.split(".")[0] in OURS]
    return found


def test_our_modules_are_imported_at_the_top_but_by_the_command_lines() -> None:
    hidden = {
        str(path.relative_to(REPO)): found
        for package in OURS
        for path in sorted((REPO / package).rglob("*.py"))
        if str(path.relative_to(REPO)) not in COMMAND_LINES and (found := imports_in_functions(path))
    }
    assert hidden == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    if os:\n        from channels import reading\n", encoding="utf-8")
    assert imports_in_functions(module) == ["5: channels"]


def core_modules() -> set[str]:
    """Every module and package right under pakn/ but the app layer (``pakn.app``): the core."""
    found = {f"pakn.{p.stem}" for p in (REPO / "pakn").glob("*.py") if p.stem != "__init__"}
    found |= {f"pakn.{p.parent.name}" for p in (REPO / "pakn").glob("*/__init__.py")}
    return found - {"pakn.app"}


def test_the_contracts_name_every_core_module() -> None:
    """The core's two contracts (pyproject.toml) list its modules: a new one is named there, or this fails."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["name"]: c["source_modules"] for c in config["tool"]["importlinter"]["contracts"]}
    below = contracts["nothing below the app imports the app: channels, normalizer, dispatcher, config and the core"]
    assert set(below) == core_modules() | {"channels", "normalizer", "dispatcher", "config"}
    assert set(contracts["the core uses nothing of ours but config"]) == core_modules()
