"""Every regex call in guardlayer that can see untrusted text passes a time limit.

Checked statically: calls on module-level patterns made with ``regex.compile`` and calls of
``regex.search`` & co. must pass ``timeout=``. Modules that only parse our own configuration
are listed as exempt, with the reason.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "guardlayer"
METHODS = {"search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"}
EXEMPT = {  # these parse configuration we or the user wrote, never model or user text
    "budget.py", "guards/policy/paths.py", "guards/policy/models.py",
    "bench",
}


def _exempt(path: Path) -> bool:
    rel = path.relative_to(PACKAGE).as_posix()
    return any(rel == e or rel.startswith(e + "/") for e in EXEMPT)


def _patterns(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "compile" and \
                    isinstance(func.value, ast.Name) and func.value.id == "regex":
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_regex_calls_have_a_timeout():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if _exempt(path):
            continue
        tree = ast.parse(path.read_text())
        patterns = _patterns(tree) | {"regex"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in METHODS and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id in patterns \
                    and not any(k.arg == "timeout" for k in node.keywords):
                missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert missing == []


def test_the_check_sees_module_patterns():
    tree = ast.parse("import regex\n_P = regex.compile('a')\nx = _P.search('a')\n")
    assert _patterns(tree) == {"_P"}
