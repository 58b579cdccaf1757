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

Each pattern gets a `Prefilter` derived from it: the literals every match must contain (the
regex is skipped when none is in the text) and the literals every match starts with (the regex
is tried only where one occurs). Fuzzy or case-blind patterns get none and always run.
"""
from __future__ import annotations

import re._constants as sre
import re._parser as sre_parse
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    prefilter: Prefilter = field(default_factory=lambda: Prefilter())


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
    return Signature(values["id"], values["category"], float(weight), pattern, description, file, line,
                     Prefilter.of(values["pattern"], flags))


MIN_GATE = 2
"""Gate literals shorter than this are not worth checking (they occur almost everywhere)."""
MIN_START = 2
"""Start literals shorter than this are not used."""
DENSE = 150
"""More than one candidate start per this many characters: one plain search is cheaper."""
_Need = frozenset[str] | None
_ALWAYS = (sre.AT,)
# Syntax that Python's parser would read differently from the `regex` module (which it takes as
# literal text): fuzzy constraints "{e<=1}", POSIX classes, version flags. Such patterns get no prefilter.
_REGEX_ONLY = regex.compile(r"(?<!\\)\{(?!\d+(?:,\d*)?\})|\[\[:|\(\?[^:)]*V")


@dataclass(frozen=True, slots=True)
class Prefilter:
    """Cheap checks derived from a pattern so that its regex runs less: ``gate`` holds literals
    of which every match contains one (none in the text: no match), ``starts`` literals with which
    every match begins (the regex is then only tried where one occurs). Empty: no shortcut."""

    gate: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()

    @classmethod
    def of(cls, pattern: str, flags: int = 0) -> Prefilter:
        """The prefilter of ``pattern`` (none for case-blind patterns or syntax only `regex` knows)."""
        if flags or _REGEX_ONLY.search(pattern, timeout=REGEX_TIMEOUT):
            return cls()
        try:
            parsed = sre_parse.parse(pattern)
        except Exception:  # noqa: BLE001 - anything Python's own parser rejects just gets no prefilter
            return cls()
        if parsed.state.flags & sre.SRE_FLAG_IGNORECASE:
            return cls()
        need, starts = _required(list(parsed)), _starts(list(parsed))
        return cls(tuple(sorted(need)) if need else (), tuple(sorted(starts)) if starts else ())

    def search(self, pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
        """``pattern.search(text)`` (the leftmost match), with the shortcuts."""
        if self.gate and not any(lit in text for lit in self.gate):
            return None
        if self.starts and sum(map(text.count, self.starts)) <= len(text) // DENSE + 1:
            positions: set[int] = set()
            for lit in self.starts:
                i = text.find(lit)
                while i >= 0:
                    positions.add(i)
                    i = text.find(lit, i + 1)
            for i in sorted(positions):
                m = pattern.match(text, i, timeout=REGEX_TIMEOUT)
                if m:
                    return m
            return None
        return pattern.search(text, timeout=REGEX_TIMEOUT)


def gate_literals(pattern: str) -> tuple[str, ...]:
    """Literals (each at least ``MIN_GATE`` long) of which every match of ``pattern`` contains at
    least one, or ``()`` when none can be derived."""
    return Prefilter.of(pattern).gate


def _starts(items: list) -> _Need:
    """Literals (at least ``MIN_START`` long) with which every match of ``items`` begins."""
    items = [it for it in items if it[0] not in _ALWAYS]
    if not items:
        return None
    op, arg = items[0]
    if op is sre.LITERAL:
        run = []
        for op2, arg2 in items:
            if op2 is not sre.LITERAL:
                break
            run.append(chr(arg2))
        return frozenset(["".join(run)]) if len(run) >= MIN_START else None
    if op is sre.SUBPATTERN:
        return _starts(list(arg[-1]) + items[1:])
    if op is sre.BRANCH:
        alts = [_starts(list(alt)) for alt in arg[1]]
        return None if any(a is None for a in alts) else frozenset().union(*alts)
    return None


def _required(items: list) -> _Need:
    """A set of literals one of which every match of the sequence ``items`` contains."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def close() -> None:
        if len(run) >= MIN_GATE:
            options.append(frozenset(["".join(run)]))
        run.clear()

    for op, arg in items:
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        if op in _ALWAYS:
            continue
        close()
        if op is sre.SUBPATTERN:
            found = _required(list(arg[-1]))
        elif op is sre.BRANCH:
            alts = [_required(list(alt)) for alt in arg[1]]
            found = None if any(a is None for a in alts) else frozenset().union(*alts)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
            body = list(arg[2])
            found = _required(body)
            if found is None and len(body) == 1 and body[0][0] is sre.LITERAL and arg[0] >= MIN_GATE:
                found = frozenset([chr(body[0][1]) * arg[0]])
        else:
            found = None
        if found:
            options.append(found)
    close()
    return max(options, key=_selectivity, default=None)


_FREQUENT = frozenset("""a about after all also an and any are as at be been before but by can could do does
for from get give had has have he her here his how i if in into is it its just like make me more my new no
not now of on one only or other our out over say she so some such than that the their them then there these
they this those to up us was we were what when where which while who will with would you your""".split())


def _selectivity(option: frozenset[str]) -> tuple[bool, bool, int, int]:
    """How much an option narrows the texts a regex must run on: no very common English word
    among its literals first, then literals that all hold punctuation (rare in prose), then the
    longest shortest literal, then the fewest literals."""
    return (not any(lit.strip() in _FREQUENT for lit in option),
            all(any(not (ch.isalnum() or ch == " ") for ch in lit) for lit in option),
            min(map(len, option)), -len(option))


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
        if sig.prefilter.gate and not any(lit in text for lit in sig.prefilter.gate):
            continue
        for offset, part in parts:
            m = sig.prefilter.search(sig.pattern, part)
            if m:
                hits.append(Hit(sig, offset + m.start(), offset + m.end(), m.group()))
                break
    return hits
