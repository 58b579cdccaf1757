"""YAML loading that remembers where each value stood, so errors can name the line.

Rule files are data written by hand, so three things YAML allows are refused, each as a
`RuleFileError` naming the file and the line: aliases of mappings and lists (``*x`` where
``&x`` is a collection: a cycle, or a "billion laughs" file that expands a few hundred bytes
into millions of values; aliases of plain values stay), keys that are not strings (``1:``,
``yes:``, ``~:``: quote them if you mean the text), and nesting deeper than Python can follow.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import RuleFileError

Lines = dict[tuple[Any, ...], int]


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
        return (None if node is None else _convert(node, (), lines, file)), lines
    except RecursionError as exc:
        raise RuleFileError("values are nested too deeply", file=file, line=1) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        what = ("" if isinstance(exc, _Refused) else "unsupported YAML: "
                if isinstance(exc, yaml.constructor.ConstructorError) else "not valid YAML: ")
        raise RuleFileError(f"{what}{getattr(exc, 'problem', None) or exc}", file=file,
                            line=mark.line + 1 if mark else None) from exc


_MERGE = "tag:yaml.org,2002:merge"


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that rule files do not accept; ``problem`` says why."""


class _Composer(yaml.SafeLoader):
    """Composes as `yaml.SafeLoader` does, but refuses aliases of collections and gives an
    alias of a scalar the place of the alias (not of its anchor)."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            merge = isinstance(index, yaml.ScalarNode) and index.tag == _MERGE  # refused later
            if isinstance(node, yaml.CollectionNode) and not merge:
                raise _Refused(problem=f"an alias (*{event.anchor}) may only name a plain value, "
                                       "not a mapping or a list: write the value out",
                               problem_mark=event.start_mark)
            if isinstance(node, yaml.ScalarNode):
                self.get_event()
                return yaml.ScalarNode(node.tag, node.value, event.start_mark, event.end_mark,
                                       node.style)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


_PLAIN = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(node: yaml.Node, path: tuple[Any, ...], lines: Lines, file: str | None) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN:
        raise RuleFileError(f"unsupported YAML tag {node.tag}", file=file, line=lines[path],
                            field=_dotted(path) or None)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise RuleFileError("YAML merge keys (<<) are not supported: write the keys out",
                                    file=file, line=key_node.start_mark.line + 1,
                                    field=_dotted(path) or None)
            key = _scalar(key_node)
            if not isinstance(key, str):
                raise RuleFileError(f"a key must be a name, not {key!r}: quote it if you mean the text",
                                    file=file, line=key_node.start_mark.line + 1,
                                    field=_dotted(path) or None)
            if key in out:
                raise RuleFileError(f"duplicate key {key!r}", file=file,
                                    line=key_node.start_mark.line + 1, field=_dotted(path + (key,)))
            out[key] = _convert(value_node, path + (key,), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), lines, file) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
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
