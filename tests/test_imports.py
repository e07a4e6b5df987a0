"""No module of ours is imported inside a function, but by the command lines: an import hidden in a function
dodged a package circle (the channels' parsers did, until `channels.readers`) and hid what a module needs.
The command lines import each command's modules in that command, so that each `pakn <command>` process
loads only its own part (said in pakn/app/cli.py)."""

from __future__ import annotations

import ast
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
