"""The commonest ways models break JSON, read fast: single-quoted strings, unquoted keys,
comments (``//``, ``#``, ``/* */``), trailing commas, Python literals and a cut-off end are
rewritten into JSON for ``json.loads``. Anything else is declined and left to json-repair
(so is a number a float does not hold, which json-repair reads exactly or refuses);
where this reads a block, its value is json-repair's on that block (checked by differential
tests against json-repair 0.64, whose quirks the token rules below keep clear of). One regex
match and a few comparisons per token, no per-character Python loop: several times faster than
json-repair on the text it reads."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import regex

from ..guard import REGEX_TIMEOUT
from ..timed_regex import each_match, timed_compile
from ..verdict import MISSING
from .repair import MAX_DEPTH, Unreadable, read_float

# One significant token after any whitespace and comments (group g). A "#" comment holds none
# of the characters json-repair may end it at (] } :). json-repair reads a double-quoted string
# as JSON when it has no backslash and no comment follows; otherwise, and for single quotes, it
# guesses where a string ends from brackets, quotes and backticks inside it. So: s is a plain
# string, S one with such characters (no comment may follow it), e one with the escapes \n \t
# \" only, not ending in \n (json-repair keeps "\/" as it is, splits surrogate pairs, strips a
# string that ends in a newline) and none of those characters, q a single-quoted one with none
# of them either. No string holds smart quotes (json-repair gives them meaning). A string cut
# off by the end of the text (cut) holds nothing json-repair would end it at, and ends in a
# letter or digit (json-repair drops a cut-off string's trailing spaces and commas).
_TOKEN = timed_compile(r"""
    (?P<g>(?:[\x20\t\r\n]++|//[^\n\r]*+|\#[^\n\r\]}:]*+(?![^\n\r])|/\*(?:[^*]++|\*(?!/))*+\*/)*+)
    (?:(?P<s>"[^"\\\x00-\x1f„“”{}[\]`']*+")
      |(?P<S>"[^"\\\x00-\x1f„“”]*+")
      |(?P<e>"(?:[^"\\\x00-\x1f„“”{}[\]`']++|\\[nt"])*+(?<!\\n)")
      |'(?P<q>[^'"\\\x00-\x1f„“”{}[\]`]*+)'
      |(?P<n>-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?)
      |(?P<w>[A-Za-z][A-Za-z0-9_]*+)
      |(?P<p>[][{}:,])
      |["'](?P<cut>[^"'\\\x00-\x1f{}[\]/\#`„“”]*+(?<=[^\W_]))\Z
      |(?P<end>\Z)
      |(?P<bad>))
    (?:[\x20\t\r\n]*+[,:])?  # a comma or colon right after the token, read with it (fewer matches)
    """, regex.X)
_LITERALS = {"true": "true", "false": "false", "null": "null",
             "True": "true", "False": "false", "None": "null"}
_CLOSER = {"{": "}", "[": "]"}
_STRINGS = frozenset("sSeq")
_AFTER_COMMA = _STRINGS | {"p", "end"}  # may follow "1," in an object with no space between


def read(text: str, begin: int = 0) -> tuple[Any, int, bool]:
    """The block opening at ``begin``, if it is JSON broken only in the common ways above: its
    value, where it ends, and whether the text ends before it closes. Else ``MISSING``, where
    reading stopped, and ``False``. A text too long to read within the regex time limit (some
    hundreds of KB) is declined whole."""
    try:
        return _read(text, begin)
    except TimeoutError:
        return MISSING, len(text), False


def _read(text: str, begin: int) -> tuple[Any, int, bool]:
    out: list[str] = []
    closers: list[str] = []
    prev = ""  # the last significant token: "v" a value's end, "k" a key, or the punctuation
    rule = ""  # what the next token must respect (see `_breaks`)
    for token in each_match(_TOKEN, text, begin, timeout=REGEX_TIMEOUT):
        kind = token.lastgroup
        if rule:
            if _breaks(rule, token, kind):
                break
            number_comma = rule == "n" and kind == "p" and token.group() == "," and closers[-1] == "}"
            rule = "n," if number_comma else ""
        if kind == "p":
            char = token.group("p")
            if char in _CLOSER:
                if prev in ("v", "k") or len(closers) == MAX_DEPTH:
                    break  # a missing comma or colon: json-repair's to mend; or too deep
                closers.append(_CLOSER[char])
            elif not closers:
                break  # the block must open with a bracket
            elif char in "}]":
                if closers.pop() != char:
                    break
                if prev == ",":
                    out.pop()  # a trailing comma
                elif prev in _CLOSER and closers[-1:] == ["]"]:
                    rule = ",]"  # an empty array item
            elif char == "," and prev != "v" or char == ":" and prev != "k":
                break
            out.append(char)
            if not closers:
                return _parse(out), token.end("p"), False
            prev = "v" if char in "}]" else char
        elif kind == "end" or kind == "cut":
            value = _finish(out, closers, prev, token.group("cut"))
            return value, len(text), value is not MISSING
        elif kind == "bad" or not closers or prev in ("v", "k"):
            break  # not a common breakage; no opening bracket; a missing comma or colon
        else:
            key = prev in ("{", ",") and closers[-1] == "}"
            if kind == "q":
                piece = f'"{token.group("q")}"'
            elif kind in _STRINGS:
                piece = token.group(kind)  # JSON as written
                if kind == "S":
                    rule = "quiet"
            elif kind == "n":
                piece = token.group("n")
                rule = "n"
            elif key:
                piece = f'"{token.group("w")}"'
                rule = ":"
            elif token.group("w") in _LITERALS:
                piece = _LITERALS[token.group("w")]
                rule = "w"
            else:
                break  # a bare word that is no literal
            if piece == '""':
                rule = ",:]}"
            out.append(piece)
            prev = "k" if key else "v"
        end = token.end(kind) + (kind == "q")  # (group q holds a string without its quotes)
        if end != token.end():  # a comma or colon after spaces only: the checks it has on its own
            after = text[end:token.end()]
            char = after[-1]
            if char == "," and prev != "v" or char == ":" and prev != "k":
                break
            if rule in ("n", "w", "quiet"):
                rule = "n," if rule == "n" and after == "," and closers[-1] == "}" else ""
            elif rule:
                if after != char or char not in rule:
                    break
                rule = ""
            out.append(char)
            prev = char
    return MISSING, token.start(), False


def _breaks(rule: str, token: regex.Match[str], kind: str | None) -> bool:
    """Whether ``token`` breaks the rule the token before it set, where json-repair reads the
    text in its own way. "quiet": after a string it reads by guessing, no comment. "n" / "w":
    after a number or a word no comment at once (it reads "1//" as "1/"). "n,": after a number
    in an object and a comma at once, no letter, digit or comment at once (it reads '"a": 1,b'
    as "1" and '"a": 1,// c' as "1,/"). Otherwise the rule lists the punctuation that must
    come next, at once: after an empty array item , or ]; after an empty string , : ] or };
    after a bare key : (it reads those followed by anything else in its own ways)."""
    gap = token.group("g")
    if rule == "quiet":
        return bool(gap.strip(" \t\r\n"))
    if rule in ("n", "w"):
        return gap.startswith(("/", "#"))
    if rule == "n,":
        return not (gap[:1].isspace() or not gap and kind in _AFTER_COMMA)
    return not (kind == "p" and not gap and token.group("p") in rule)


def _finish(out: list[str], closers: list[str], prev: str, cut: str | None) -> Any:
    """Close what the end of the text left open, the way json-repair does, and parse."""
    if cut is not None:
        if not (prev == ":" or closers[-1:] == ["]"] and prev in ("[", ",")):
            return MISSING  # a cut-off key, or a string where no value may start
        out.append(f'"{cut}"')
        prev = "v"
    if not closers:
        return MISSING  # no block at all
    if prev == ",":
        out.pop()
    elif prev != "v":
        return MISSING  # cut off after an opener, a key or a colon: json-repair guesses
    out.extend(reversed(closers))
    return _parse(out)


def _parse(out: list[str]) -> Any:
    try:
        return _DECODER.decode(" ".join(out))
    except (ValueError, RecursionError, Unreadable):
        return MISSING


def _float(text: str) -> float:
    """`read_float`, declining a number a float does not hold (json-repair's to read, or refuse)."""
    value = read_float(text)
    if isinstance(value, Decimal):
        raise ValueError(f"{text} is not a float")
    return value


_DECODER = json.JSONDecoder(parse_float=_float)
