"""Every regex in guardlayer that can see untrusted text has a time limit that holds under threads.

Checked statically: outside the modules that only parse our own configuration (listed as exempt,
with the reason), patterns are made with `timed_regex.timed_compile` (a time limit on every call,
this thread's time) and the ``regex`` module's own ``compile``, ``search`` & co. are not called.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "guardlayer"
CALLS = {"compile", "search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "splititer"}
EXEMPT = {  # these parse configuration we or the user wrote, never model or user text
    "budget.py", "guards/policy/paths.py", "guards/policy/models.py",
    "bench",
    "timed_regex.py",  # the one place that compiles
}


def _exempt(path: Path) -> bool:
    rel = path.relative_to(PACKAGE).as_posix()
    return any(rel == e or rel.startswith(e + "/") for e in EXEMPT)


def untimed_calls(tree: ast.Module) -> list[int]:
    """Lines that call ``regex.<compile|search|...>`` directly."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in CALLS and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "regex"]


def test_patterns_are_made_timed():
    found = [f"{path.relative_to(PACKAGE)}:{line}"
             for path in sorted(PACKAGE.rglob("*.py")) if not _exempt(path)
             for line in untimed_calls(ast.parse(path.read_text()))]
    assert found == []


def test_the_check_sees_untimed_calls():
    tree = ast.parse("import regex\n_P = regex.compile('a')\nx = regex.search('a', 'b')\n"
                     "y = timed_compile('a').search('b')\n")
    assert untimed_calls(tree) == [2, 3]
