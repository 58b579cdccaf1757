"""Injection signatures as data: YAML rule files under ``rules/injection/`` (and the user's own),
loaded into `Signature` objects and matched against folded text with a time limit.

A rule file::

    signatures:
      - id: override.ignore-previous          # unique across all loaded files
        category: instruction_override        # any name; the shipped ones are listed in CATEGORIES
        weight: 0.9                           # in (0, 1]: how sure one match alone makes us
        pattern: 'ignore (?:all )?previous instructions'   # `regex` syntax, fuzzy allowed: (?:ignore){e<=1}
        description: optional text for humans

Patterns see folded text (lower case, homoglyphs/leetspeak/spacing undone, one space between
words), so write them in lower case with single spaces (a pattern with capital letters is
matched case-insensitively, which is slower).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import yaml

from ...errors import RuleFileError
from ...guard import REGEX_TIMEOUT
from ...paths import shipped_rules

CATEGORIES = ("instruction_override", "persona_jailbreak", "prompt_extraction", "role_tokens",
              "exfiltration", "encoding_trick", "indirect", "hijack")
_FIELDS = {"id", "category", "weight", "pattern", "description"}
_CAPITALS = regex.compile(r"(?<!\\)[A-Z]")


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    category: str
    weight: float
    pattern: regex.Pattern[str]
    description: str = ""
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Hit:
    """One signature match in a folded text: span in that folded text."""

    signature: Signature
    start: int
    end: int
    text: str


def _node_value(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _parse_file(path: Path) -> list[Signature]:
    name = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleFileError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=name,
                            line=mark.line + 1 if mark else None) from exc
    except OSError as exc:
        raise RuleFileError(f"cannot read: {exc}", file=name) from exc
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise RuleFileError("expected a mapping with a 'signatures' list", file=name, line=root.start_mark.line + 1)
    top = {k.value: v for k, v in root.value}
    unknown = set(top) - {"signatures"}
    if unknown:
        raise RuleFileError(f"unknown key {sorted(unknown)[0]!r}", file=name, line=root.start_mark.line + 1,
                            field=sorted(unknown)[0])
    items = top.get("signatures")
    if items is None:
        return []
    if not isinstance(items, yaml.SequenceNode):
        raise RuleFileError("'signatures' must be a list", file=name, line=items.start_mark.line + 1,
                            field="signatures")
    return [_parse_rule(node, name) for node in items.value]


def _parse_rule(node: yaml.Node, file: str) -> Signature:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise RuleFileError("each signature must be a mapping", file=file, line=line)
    fields = {k.value: (v, v.start_mark.line + 1) for k, v in node.value}
    for key, (_, at) in fields.items():
        if key not in _FIELDS:
            raise RuleFileError(f"unknown field {key!r} (allowed: {', '.join(sorted(_FIELDS))})",
                                file=file, line=at, field=key)
    for key in ("id", "category", "weight", "pattern"):
        if key not in fields:
            raise RuleFileError(f"missing field {key!r}", file=file, line=line, field=key)
    values = {k: _node_value(v) for k, (v, _) in fields.items()}
    for key in ("id", "category", "pattern"):
        if not isinstance(values[key], str) or not values[key].strip():
            raise RuleFileError(f"{key!r} must be a non-empty string", file=file, line=fields[key][1], field=key)
    weight = values["weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
        raise RuleFileError(f"'weight' must be a number in (0, 1], not {weight!r}", file=file,
                            line=fields["weight"][1], field="weight")
    # Folded text is lower case; patterns with capitals (other than escapes like \W) match case-blind.
    flags = regex.IGNORECASE if _CAPITALS.search(values["pattern"]) else 0
    try:
        pattern = regex.compile(values["pattern"], flags)
    except regex.error as exc:
        raise RuleFileError(f"bad pattern: {exc}", file=file, line=fields["pattern"][1], field="pattern") from exc
    description = values.get("description", "")
    if not isinstance(description, str):
        raise RuleFileError("'description' must be a string", file=file, line=fields["description"][1],
                            field="description")
    return Signature(values["id"], values["category"], float(weight), pattern, description, file, line)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    if not path.exists():
        raise RuleFileError("no such rule file or folder", file=str(path))
    return [path]


def load_signatures(paths: Iterable[str | Path] = (), *, shipped: bool = True) -> tuple[Signature, ...]:
    """Signatures from the shipped ``rules/injection/`` (unless ``shipped=False``) and ``paths``
    (files or folders of ``.yaml``). Ids must be unique across everything loaded."""
    sources = ([shipped_rules("injection")] if shipped else []) + [Path(p) for p in paths]
    found: dict[str, Signature] = {}
    for source in sources:
        for file in _files(source):
            for sig in _parse_file(file):
                if sig.id in found:
                    raise RuleFileError(f"duplicate signature id {sig.id!r} (also in {found[sig.id].file})",
                                        file=str(file), line=sig.line, field="id")
                found[sig.id] = sig
    return tuple(found.values())


LONG_TEXT = 16_384
"""Texts longer than this are scanned in overlapping chunks of words, each distinct chunk once:
repetitive input (a classic way to make regexes slow) then costs what its distinct parts cost."""
CHUNK_WORDS = 256
OVERLAP_WORDS = 48
CHUNK_CHARS = 2048
OVERLAP_CHARS = 256


def _chunks(text: str) -> list[tuple[int, str]]:
    """``(offset, chunk)`` for each distinct chunk of ``text`` (first occurrence kept)."""
    words = text.split(" ")
    starts = [0] * (len(words) + 1)
    pos = 0
    for i, word in enumerate(words):
        starts[i] = pos
        pos += len(word) + 1
    seen: set[str] = set()
    out = []
    for i in range(0, len(words), CHUNK_WORDS):
        chunk = " ".join(words[i:i + CHUNK_WORDS + OVERLAP_WORDS])
        # a chunk of few, very long words is cut by characters too
        pieces = [(0, chunk)] if len(chunk) <= 2 * CHUNK_CHARS else [
            (j, chunk[j:j + CHUNK_CHARS + OVERLAP_CHARS]) for j in range(0, len(chunk), CHUNK_CHARS)]
        for j, piece in pieces:
            if piece not in seen:
                seen.add(piece)
                out.append((starts[i] + j, piece))
    return out


def scan(signatures: Iterable[Signature], text: str) -> list[Hit]:
    """The first match of every signature in ``text`` (folded text)."""
    parts = _chunks(text) if len(text) > LONG_TEXT else [(0, text)]
    hits = []
    for sig in signatures:
        for offset, part in parts:
            m = sig.pattern.search(part, timeout=REGEX_TIMEOUT)
            if m:
                hits.append(Hit(sig, offset + m.start(), offset + m.end(), m.group()))
                break
    return hits
