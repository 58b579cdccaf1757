"""The package's own patterns pass the backtracking lint (`guardlayer.regex_lint`) that rule files'
patterns pass at load: each literal given to `timed_compile`, ``regex.compile`` or ``re.compile``
anywhere in guardlayer/ (found by reading the source with `ast`: 151 when written), and each
module-level pattern built from parts (``_MARKS = timed_compile(_name(b"Type") + ...)``, bound by a
plain or an annotated assignment, read from its imported module: 44). Patterns built inside
functions (from rules, or per call) are not linted here. Patterns under guards/injection/
are linted too; none is flagged (changing one would need the classifier retrained). Where the lint is wrong, the pattern is in `NOT_SLOW` with the timing that shows it."""
from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from functools import cache, reduce
from operator import or_
from pathlib import Path

import regex

import guardlayer
from guardlayer.regex_lint import lint
from guardlayer.timed_regex import TimedPattern

PACKAGE = Path(guardlayer.__file__).resolve().parent

# Patterns the lint flags that are not slow where they run: why the lint is wrong, and the CPU time
# (time.process_time, median of 3, pinned to one core) of one search on the lint's own witness text,
# its repeated part repeated n = 8,000 / 16,000 / 32,000 / 64,000 times: time doubling with n is linear.
NOT_SLOW = {
    "guards/pii/results.py:_KEY_BEFORE":
        # 0.28 / 0.55 / 1.09 / 2.24 ms on "_" * n + "!"
        "the cut at '_' is chosen once, in an atomic group, which the lint reads as a plain one",
    "guards/canary.py:_RUN":
        # 3.05 / 5.94 / 12.1 / 24.1 ms on "1" + 7 spaces, then ("11" + 8 spaces) * n, then "a"
        "each code is bounded by look-arounds (no digit before or after a decimal code), which the lint does not "
        "read as failing: one way to read a run of codes",
    "guards/canary.py:_OPEN_RUN":
        # a reverse pattern (?r): 0.00 ms on the witness as the lint writes it; reversed (what a reverse search
        # reads first), 20 / 78 / 350 / 1,509 ms: quadratic, not exponential. `CanaryGuard.safe_boundary`
        # searches only the last OPEN_RUN_CHARS = 4,096 characters: 0.28 ms on 1 MB of codes.
        "bounded by its one caller to 4,096 characters (quadratic on a longer run of codes read in reverse)",
    "structured/extract.py:_INNER":
        # 2.46 / 4.86 / 9.65 / 19.1 ms on "[" + '""a' * n + '["['
        "possessive repeats of groups, which the lint reads as plain ones",
}


def _flags(node: ast.expr) -> int:
    """A flags argument written as ``regex.X`` (or ``re.X``) names joined by ``|``, or a number."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("regex", "re"):
        return int(getattr(regex, node.attr))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    raise AssertionError(f"flags written as {ast.unparse(node)}: teach this test to read them")


def _compiles(call: ast.Call) -> bool:
    """Is ``call`` a `timed_compile` call, or a direct ``regex.compile`` or ``re.compile``?"""
    func = call.func
    return (getattr(func, "id", None) == "timed_compile" or getattr(func, "attr", None) == "timed_compile"
            or isinstance(func, ast.Attribute) and func.attr == "compile" and isinstance(func.value, ast.Name)
            and func.value.id in ("regex", "re"))


def bound_names(tree: ast.Module) -> dict[int, str]:
    """The name each module-level value is bound to (by a plain or an annotated assignment), by the
    value node's id."""
    return {id(node.value): target.id for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
            and isinstance(target := node.targets[0] if isinstance(node, ast.Assign) else node.target, ast.Name)}


def _calls() -> Iterator[tuple[Path, ast.Call, str | None]]:
    """Each call compiling a pattern in the package, with the name it is bound to at module level."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names = bound_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _compiles(node):
                yield path, node, names.get(id(node))


def _where(path: Path, call: ast.Call, name: str | None) -> str:
    """A pattern's key: its file and the name it is bound to, else its line and column."""
    return f"{path.relative_to(PACKAGE).as_posix()}:{name or f'{call.lineno}:{call.col_offset}'}"


def _source(pattern: str | bytes) -> str:
    return pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern


@cache
def literal_patterns() -> dict[str, tuple[str, int]]:
    """Each literal pattern given to `timed_compile`, and its flags, by where it is."""
    found = {}
    for path, call, name in _calls():
        if call.args and isinstance(call.args[0], ast.Constant):
            flags = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "flags")]
            found[_where(path, call, name)] = (_source(call.args[0].value), reduce(or_, map(_flags, flags), 0))
    return found


@cache
def built_patterns() -> dict[str, tuple[str, int]]:
    """Each pattern built from parts and bound to a module-level name, as its module compiled it."""
    found = {}
    for path, call, name in _calls():
        if name is not None and call.args and not isinstance(call.args[0], ast.Constant):
            module = importlib.import_module(".".join(("guardlayer", *path.relative_to(PACKAGE).with_suffix("").parts)))
            compiled = getattr(module, name)
            assert isinstance(compiled, (TimedPattern, regex.Pattern)), f"{_where(path, call, name)}: read its flags"
            found[_where(path, call, name)] = (_source(compiled.pattern), compiled.flags)
    return found


def _flagged(patterns: dict[str, tuple[str, int]]) -> dict[str, str]:
    return {where: reason for where, (source, flags) in patterns.items() if (reason := lint(source, flags))}


def test_every_literal_pattern_passes_the_lint() -> None:
    patterns = literal_patterns()
    assert len(patterns) > 100 and any(w.startswith("guards/injection/") for w in patterns)
    assert {w: r for w, r in _flagged(patterns).items() if w not in NOT_SLOW} == {}


def test_every_module_level_pattern_built_from_parts_passes_the_lint() -> None:
    patterns = built_patterns()
    assert len(patterns) > 20 and "tokens/pdf.py:_MARKS" in patterns
    assert {w: r for w, r in _flagged(patterns).items() if w not in NOT_SLOW} == {}


def test_each_pattern_let_pass_is_still_there_and_flagged() -> None:
    """`NOT_SLOW` does not outlive its need: drop a pattern from it once the lint passes it."""
    flagged = _flagged(literal_patterns() | built_patterns())
    assert sorted(set(NOT_SLOW) - set(flagged)) == []


def test_direct_compiles_annotated_names_and_calls_on_one_line_are_each_read() -> None:
    """``regex.compile``/``re.compile`` literals were not linted, an annotated ``X: T = timed_compile(...)``
    was read as unnamed (a pattern built from parts so was skipped), and two unnamed calls on one line
    shared one key (one of them was dropped)."""
    assert {"budget.py:_DURATION", "budget.py:_DATED", "stores/__init__.py:_REDIS_DB",
            "guards/policy/paths.py:_SEGMENT"} <= set(literal_patterns())
    tree = ast.parse("X: TimedPattern = timed_compile(PART + 'b')\nY = regex.compile('a')\n")
    assert sorted(bound_names(tree).values()) == ["X", "Y"]
    calls = list(_calls())
    assert len({_where(*call) for call in calls}) == len(calls) > 200
