"""YAML loading that remembers where each value stood, so errors can name the line.

Rule files are data written by hand, so some things YAML allows are refused, each as a
`RuleFileError` naming the file and the line: more than `MAX_VALUES` values once aliases are
expanded (a "billion laughs" file expands a few hundred bytes into millions of them), an alias
inside the value it names (a cycle), keys that are not strings (``1:``, ``yes:``, ``~:``: quote
them if you mean the text), and nesting deeper than Python can follow. An alias is placed at the
alias, not at its anchor (the values inside an aliased list or mapping stay where they are
written).

Plain values are read as YAML 1.1 reads them (``yes`` is true) but for numbers only YAML 1.1
has, which would change what was written without a word: ``1:30`` (base 60: 90) and ``02137``
(octal: 1119) stay text, as in YAML 1.2, where a leading zero is a code (a ZIP) kept whole.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .errors import RuleFileError
from .timed_regex import timed_compile

Lines = dict[tuple[Any, ...], int]
MAX_VALUES = 100_000
"""The most values a rule file may hold, aliases expanded (the shipped files hold a few hundred)."""


def load(source: str | Path, *, name: str | None = None) -> tuple[Any, Lines]:
    """Parse YAML from a path (a `Path`, or a `str` naming an existing file) or from text.

    Returns ``(data, lines)`` where ``lines[path]`` is the 1-based line of the value at
    ``path`` (a tuple of keys and list indexes; ``()`` is the document).
    """
    file = name
    if isinstance(source, Path) or ("\n" not in source and Path(source).is_file()):
        file = file or str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise RuleFileError(f"cannot read: {exc.strerror}", file=file) from exc
        except UnicodeDecodeError as exc:
            raise RuleFileError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=file) from exc
    else:
        text = source
    lines: Lines = {}
    try:
        node = yaml.compose(text, Loader=_Composer)
        return (None if node is None else _Walk(lines, file).convert(node, ())), lines
    except RecursionError as exc:
        raise RuleFileError("values are nested too deeply", file=file, line=1) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        what = ("unsupported YAML: " if isinstance(exc, yaml.constructor.ConstructorError)
                else "not valid YAML: ")
        raise RuleFileError(f"{what}{_problem(exc)}", file=file,
                            line=mark.line + 1 if mark else None) from exc


def _problem(exc: yaml.YAMLError) -> str:
    """PyYAML's problem with its context ("found duplicate anchor 'a'; first occurrence (line
    2); second occurrence"), or the error's text."""
    problem, context = getattr(exc, "problem", None), getattr(exc, "context", None)
    if not problem:
        return str(exc)
    mark = getattr(exc, "context_mark", None)
    if not context:
        return str(problem)
    return f"{context}{f' (line {mark.line + 1})' if mark else ''}; {problem}"


_MERGE = "tag:yaml.org,2002:merge"


class _Composer(yaml.SafeLoader):
    """Composes as `yaml.SafeLoader` does, but gives an alias the place of the alias (not of its
    anchor): a copy of the anchor's node that shares its contents."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                self.get_event()
                placed = copy.copy(node)
                placed.start_mark, placed.end_mark = event.start_mark, event.end_mark
                return placed
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


_PLAIN = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _Walk:
    """Converts composed nodes to Python values, recording each value's line, counting values
    (aliases expanded) and refusing an alias inside the value it names."""

    def __init__(self, lines: Lines, file: str | None) -> None:
        self.lines, self.file, self.values, self.open = lines, file, 0, set[int]()

    def convert(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        line = self.lines[path] = node.start_mark.line + 1
        self.values += 1
        if self.values > MAX_VALUES:
            raise RuleFileError(f"more than {MAX_VALUES:,} values once aliases are expanded: "
                                "write the values out", file=self.file, line=line,
                                field=_dotted(path) or None)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN:
            raise RuleFileError(f"unsupported YAML tag {node.tag}", file=self.file, line=line,
                                field=_dotted(path) or None)
        if not isinstance(node, yaml.CollectionNode):
            return _scalar(node)
        if id(node.value) in self.open:  # (an alias's node is a copy sharing its anchor's list)
            raise RuleFileError("an alias inside the value it names (a cycle)", file=self.file,
                                line=line, field=_dotted(path) or None)
        self.open.add(id(node.value))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.open.discard(id(node.value))

    def _mapping(self, node: yaml.MappingNode, path: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            where = {"file": self.file, "line": key_node.start_mark.line + 1}
            if key_node.tag == _MERGE:
                raise RuleFileError("YAML merge keys (<<) are not supported: write the keys out",
                                    **where, field=_dotted(path) or None)
            key = _scalar(key_node)
            if not isinstance(key, str):
                raise RuleFileError(f"a key must be a name, not {key!r}: quote it if you mean the text",
                                    **where, field=_dotted(path) or None)
            if key in out:
                raise RuleFileError(f"duplicate key {key!r}", **where, field=_dotted(path + (key,)))
            out[key] = self.convert(value_node, path + (key,))
        return out


_YAML11_ONLY = timed_compile(r"[-+]?(?:0[0-9_]+|0b[01_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)")
"""Numbers only YAML 1.1 reads: octal with a leading zero, binary, base 60 (``1:30``)."""
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _scalar(node: yaml.Node) -> Any:
    if node.tag in _NUMBER_TAGS and node.style is None and _YAML11_ONLY.fullmatch(node.value):
        return node.value
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def field_name(path: tuple[Any, ...]) -> str:
    """``("input", 0, "threshold")`` -> ``"input[0].threshold"``."""
    return _dotted(path)


def line_of(lines: Lines, path: tuple[Any, ...]) -> int | None:
    """The line of ``path``, or of its nearest parent that has one."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
