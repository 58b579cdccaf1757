"""JSON paths over parsed values: ``refund.amount``, ``items[0].sku``, ``items[*].price``,
``meta["odd.key"]``. Parsed once at load; resolving never raises."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import regex

_SEGMENT = regex.compile(r"""
    (?P<key>[A-Za-z_][\w-]*)
  | \[(?:(?P<index>-?\d+)|(?P<star>\*)|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')\]
""", regex.VERBOSE)

STAR = object()
"""The ``[*]`` segment: every item of a list (or value of a mapping)."""

Segment = Any  # str key | int index | STAR


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed path; ``str(path)`` gives back its text."""

    text: str
    segments: tuple[Segment, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        """Parse ``a.b[0]["c.d"][*]``; raises ``ValueError`` naming the bad position."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"a path must be a non-empty string, got {text!r}")
        src, pos, segs = text.strip(), 0, []
        while pos < len(src):
            if segs and src[pos] == "." and not src.startswith(".[", pos):
                pos += 1
            m = _SEGMENT.match(src, pos)
            if m is None or (m.group("key") and segs and src[pos - 1] != "."):
                raise ValueError(f"bad path {text!r} at character {pos + 1}")
            if m.group("key"):
                segs.append(m.group("key"))
            elif m.group("index") is not None:
                segs.append(int(m.group("index")))
            elif m.group("star"):
                segs.append(STAR)
            else:
                segs.append(m.group("dq") if m.group("dq") is not None else m.group("sq"))
            pos = m.end()
        if src.endswith("."):
            raise ValueError(f"bad path {text!r}: ends with '.'")
        return cls(src, tuple(segs))

    def __str__(self) -> str:
        return self.text

    def values(self, value: Any) -> list[Any]:
        """The values the path reaches, ``None`` (JSON null) left out."""
        if STAR in self.segments:
            return [v for _, v in _walk(value, self.segments, ()) if v is not None]
        at = value
        for seg in self.segments:
            if isinstance(seg, str) and isinstance(at, dict) and seg in at:
                at = at[seg]
            elif isinstance(seg, int) and isinstance(at, list) and -len(at) <= seg < len(at):
                at = at[seg]
            else:
                return []
        return [] if at is None else [at]

    def find(self, value: Any) -> list[tuple[tuple[Any, ...], Any]]:
        """Every ``(concrete path, value)`` the path reaches in ``value`` (empty: absent)."""
        if STAR in self.segments:
            return list(_walk(value, self.segments, ()))
        at, concrete = value, []
        for seg in self.segments:  # the common case, without generators
            if isinstance(seg, str) and isinstance(at, dict) and seg in at:
                at = at[seg]
            elif isinstance(seg, int) and isinstance(at, list) and -len(at) <= seg < len(at):
                seg %= len(at)
                at = at[seg]
            else:
                return []
            concrete.append(seg)
        return [(tuple(concrete), at)]


def _walk(value: Any, segs: tuple[Segment, ...], at: tuple[Any, ...]
          ) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not segs:
        yield at, value
        return
    head, rest = segs[0], segs[1:]
    if head is STAR:
        items = (value.items() if isinstance(value, dict)
                 else enumerate(value) if isinstance(value, list) else ())
        for key, item in items:
            yield from _walk(item, rest, at + (key,))
    elif isinstance(head, int) and isinstance(value, list):
        if -len(value) <= head < len(value):
            yield from _walk(value[head], rest, at + (head % len(value),))
    elif isinstance(head, str) and isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest, at + (head,))


def show(concrete: tuple[Any, ...]) -> str:
    """A concrete path (keys and indexes) as a rule writes it: ``a.b[0]``, ``["odd.key"]``."""
    out = ""
    for seg in concrete:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif (seg[:1].isalpha() or seg[:1] == "_") and all(c.isalnum() or c in "_-" for c in seg):
            out += f".{seg}" if out else seg
        else:
            out += f'["{seg}"]'
    return out or "the root"


def drop(value: Any, concrete: tuple[Any, ...]) -> Any:
    """A copy of ``value`` without the item at ``concrete`` (copies only along the path)."""
    if not concrete:
        return None
    head, rest = concrete[0], concrete[1:]
    if not ((isinstance(value, dict) and head in value)
            or (isinstance(value, list) and isinstance(head, int) and head < len(value))):
        return value
    out: Any = dict(value) if isinstance(value, dict) else list(value)  # never edit the input
    if rest:
        out[head] = drop(value[head], rest)
    else:
        del out[head]
    return out
