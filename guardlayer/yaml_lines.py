"""YAML loading that remembers where each value stood, so errors can name the line."""
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
    else:
        text = source
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleFileError(f"not valid YAML: {problem}", file=file,
                            line=mark.line + 1 if mark else None) from exc
    lines: Lines = {}
    if node is None:
        return None, lines
    try:
        return _convert(node, (), lines, file), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise RuleFileError(f"unsupported YAML: {getattr(exc, 'problem', None) or exc}", file=file,
                            line=mark.line + 1 if mark else None) from exc


_PLAIN = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(node: yaml.Node, path: tuple[Any, ...], lines: Lines, file: str | None) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN:
        raise RuleFileError(f"unsupported YAML tag {node.tag}", file=file, line=lines[path],
                            field=_dotted(path) or None)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise RuleFileError("YAML merge keys (<<) are not supported: write the keys out",
                                    file=file, line=key_node.start_mark.line + 1,
                                    field=_dotted(path) or None)
            key = _scalar(key_node)
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
