"""Street addresses, which neither Presidio nor spaCy's small pipeline find.

Several finders, their spans merged:

- one-line forms: ``12 Baker Street``, ``110 Rue du Bac``, ``Genterstrasse 49``, ``Apt. 5``,
  ``P.O. Box 12``, military ``PSC 1234, Box 56`` and ``USS Name\\nFPO AP 12345``, ``the corner
  of X and Y``; extended over a unit and up to four ``, City`` / ``City ST 12345`` parts that
  follow; and ``<number> <street> [<number>] Apt. 5 [Place names]`` inside a sentence;
- postal blocks: the parts of an address written one per line or comma-separated (street
  line, unit, town, region, postcode, country). Parts are classified (street, unit, postcode,
  place); a run that starts with a street or unit part and holds at least one more strong part
  (unit, postcode, a street with a known street word) is an address, whatever the language of
  the street name. A run with only a bare ``number name number`` street and a place name is
  scored below the default threshold, so it counts only with a context word nearby
  (``address``, ``lives``...), which Presidio adds.
- a value after a label: ``Address: ...``, ``ZIP: 12345``, ``my zip code is 12345``.

`lines_above` gives the name and company lines of a letterhead or label above an address.

All patterns use the ``regex`` module with guardlayer's timeout.
"""
from __future__ import annotations

from typing import Any

import regex

from ...guard import REGEX_TIMEOUT
from ...timed_regex import TimedPattern, timed_compile
from .gates import View, digit_view, has_digit, lines_around, may_hold, tried_at
from .people import FirstWords, Words, trie, words_of

STREET_ADDRESS = "STREET_ADDRESS"

_NUM = r"(?!(?:\d\d)?\d0s\b)\d{1,5}(?:[-/]\d{1,5})?[A-Za-z]?\b"  # a house number, not a decade
_WORD = r"[\p{Lu}][\p{L}'’\-]*"
_LINK = r"(?:of|the|and|de|du|des|la|le|del|della|di|da|do|dos|van|von|der|den|am|an|im|auf|y|e)"
_NAME = rf"{_WORD}(?:[ \t]+(?:{_WORD}|{_LINK}(?=[ \t]+\p{{Lu}})|\d{{1,3}}(?=[ \t]+\p{{Lu}}))){{0,4}}"
_SUFFIX_WORDS = ("Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Court", "Place", "Square",
                 "Terrace", "Way", "Parkway", "Highway", "Circle", "Trail", "Crescent", "Close", "Row",
                 "Alley", "Plaza", "Gardens", "Grove", "Mews", "Walk", "Quay", "Wharf", "Pike", "Loop",
                 "Ridge", "Heights", "Expressway", "Freeway", "Causeway", "Broadway", "Esplanade",
                 "Promenade")
_SUFFIX_SHORT = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Pl", "Sq", "Terr", "Ter", "Pkwy", "Hwy",
                 "Cir", "Trl", "Cres")
_SUFFIX = rf"(?i:(?:{'|'.join(_SUFFIX_WORDS)})\b|(?:{'|'.join(_SUFFIX_SHORT)})\b\.?)"
_PREFIX_WORDS = ("Rue", "Avenue", "Boulevard", "Chemin", "Allée", "Allee", "Impasse", "Quai", "Cours",
                 "Via", "Viale", "Piazza", "Piazzale", "Corso", "Vicolo", "Calle", "Avenida", "Paseo",
                 "Carrer", "Camino", "Rua", "Travessa", "Largo", "Praça", "Praca", "Ulica", "Aleja",
                 "Strada", "Calea", "Bulevardul", "Odos", "Leoforos")
_PREFIX_SHORT = ("Av", "Bd", "Avda", "ul", "al", "Ctra")  # each followed by a dot
_PREFIX = rf"(?:(?:{'|'.join(_PREFIX_WORDS)})\b|(?:{'|'.join(_PREFIX_SHORT)})\.|C/)"
_COMPOUND_ENDS = ("straße", "strasse", "str.", "weg", "gasse", "allee", "platz", "ring", "damm", "ufer",
                  "steig", "vej", "vejen", "gade", "gaden", "gyde", "gyden", "vegen", "veien", "vei",
                  "veg", "gatan", "gata", "vägen", "väg", "gränd", "straat", "laan", "plein", "gracht",
                  "kade", "dreef", "steeg", "tie", "katu", "kuja", "polku", "utca", "út", "u.")
_COMPOUND_END = f"(?:{'|'.join(map(regex.escape, _COMPOUND_ENDS))})"
_COMPOUND = rf"[\p{{L}}'’\-]*{_COMPOUND_END}"
# the number after a unit word: "Apt. 5", "Suite #12B" (blanks read once: "[ \t]*#?[ \t]*" reads a
# run of blanks two ways at every split, its time growing with the square of the run)
_UNIT_NUMBER = r"\.?[ \t]*+(?:#[ \t]*+)?\d{1,5}[A-Za-z]?\b"
_UNIT = rf"(?i:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building|No|Nr){_UNIT_NUMBER}"
_ADDR_UNIT = rf"(?i:Apt|Apartment|Suite|Ste|Unit|Flat){_UNIT_NUMBER}"
_BOX = (r"(?i:\bP\.?[ \t]?O\.?[ \t]?Box|\bPost(?:al)?[ \t]?(?:Office[ \t])?Box|\bPostbox|\bPostfach"
        r"|\bApartado|\bCase[ \t]postale|\bBo[iî]te[ \t]postale)[ \t]*\d{1,6}\b"
        r"|\b(?i:PSC|CMR|Unit)[ \t]+\d{3,5},?[ \t]+(?i:Box)[ \t]+\d{1,5}\b")
_MILITARY = (r"(?:\b(?i:USNS|USNV|USS|USCGC)[ \t]+[\p{L}'’\-]+(?:[ \t]+[\p{L}'’\-]+)?[ \t]*\n[ \t]*)?"
             r"\b(?i:APO|FPO|DPO)[ \t]+(?i:AA|AE|AP)[ \t]+\d{5}\b")  # (a ship, then) the post office
_ZIP = r"(?:\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2})(?![ \t.\-]?\d)"  # not a phone
_PLACE = rf"{_NAME}(?:,?[ \t]+[A-Z]{{2}}\b)?(?:,?[ \t]+(?:{_ZIP}))?"

_STREETS = tuple(timed_compile(p, regex.VERSION0) for p in (  # apart: one alternation is 3x slower
    rf"\b{_NUM}[ \t]+(?:{_NAME}[ \t]+)?{_SUFFIX}",                        # 12 Baker Street
    rf"(?:\b{_NUM}[ \t]+|(?<!\p{{Lu}}[\p{{L}}'’\-]*[ \t]+))"  # not "Pennsylvania Avenue NW"
    rf"\b{_PREFIX}[ \t]+(?:{_LINK}[ \t]+)?{_NAME}(?:,?[ \t]+{_NUM})?",  # (110) Rue du Bac (5)
    rf"(?:\b\p{{Lu}}[\p{{L}}'’\-]*[ \t]+){{0,3}}\b\p{{Lu}}{_COMPOUND}[ \t]*{_NUM}",  # Lodskovvej 28
    rf"\b{_NUM}[ \t]+(?:\p{{Lu}}[\p{{L}}'’\-]*[ \t]+){{0,3}}\p{{Lu}}{_COMPOUND}\b",  # 5 Am Ring
    _BOX, _MILITARY))
_PREFIX_GATE = timed_compile(rf"\b{_PREFIX}", regex.VERSION0)
_COMPOUND_GATE = timed_compile(rf"(?<=\p{{Lu}}[\p{{L}}'’\-]*)(?:{trie(_COMPOUND_ENDS)})", regex.VERSION0)
_SUFFIX_FIRST = FirstWords(w.lower() for w in _SUFFIX_WORDS + _SUFFIX_SHORT)
"""The street word of every match of the first street pattern, a whole word (blanks before it,
a word boundary after it), folded."""
_MILITARY_FIRST = FirstWords(("apo", "fpo", "dpo"))  # a whole word in every `_MILITARY` match
_BOX_WORDS = ("box", "postfach", "apartado", "postale")  # one is in every `_BOX` match ("Postbox": "box")
Gate = TimedPattern | FirstWords | None
_STREET_WHERE: tuple[tuple[Gate, bool, tuple[str, ...] | FirstWords], ...] = (
    (_SUFFIX_FIRST, True, ()), (_PREFIX_GATE, False, ()), (_COMPOUND_GATE, True, ()),
    (_COMPOUND_GATE, True, ()), (None, True, _BOX_WORDS), (None, False, _MILITARY_FIRST))
"""Per street pattern, where it can match: ``(gate, digit, needs)``. A gate finds something
inside every match of the pattern (a street word; a prefix street word; a capitalised word
with a compound street ending), a search or the words that `FirstWords` lists: the pattern
runs only on the lines where its gate finds something. ``digit``: every match holds a digit,
so the pattern (and its gate) runs only on the lines that hold one. None of these patterns can
match a line break or test for a line's or the text's edge, but the military one (a ship's
name can stand on the line above). The post-box and military ones run only when the text
holds what they need: one of some words (`may_hold`), or a word that `FirstWords` lists."""
# Number, street, number, unit and place names inside a sentence: "... to 24 rue du Président
# Roosevelt Apt. 889 SAUMUR Andorra in case", "... 4589 40th Street Suite 603 Calgary AB".
# Kept when the street has a capital, a street word or a second number ("2 kids in unit 5": no).
_STREET_IN_TEXT = timed_compile(
    rf"(?:\b{_NUM}[ \t]+){{1,2}}(?P<street>(?:(?:[\p{{L}}][\p{{L}}'’\-]*\.?|\d{{1,3}}(?:st|nd|rd|th))[ \t]+)"
    rf"{{1,6}}(?:{_NUM}\.?[ \t]+)?){_ADDR_UNIT}(?:[ \t]+\p{{Lu}}[\p{{L}}'’\-]*){{0,4}}"
    r"(?=[ \t]*(?:[.?!;:),]|\Z)|[ \t]+\p{Ll}|[ \t]*\n)")
_UNIT_WORDS = ("apt", "apartment", "suite", "ste", "unit", "flat")  # one is in every `_ADDR_UNIT`, and
# every `_UNIT_ALONE` match, in any case: both run on the lines that hold a digit and one (`may_hold`)
_LIKE_A_STREET = timed_compile(r"\p{Lu}|\d")
# After a street: "Apt. 5", then up to four ", City" / newline "City ST 12345" parts.
_TAIL = timed_compile(
    rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*|[ \t]+){_UNIT})?"
    rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*)(?:{_PLACE}|{_ZIP})){{0,4}}")
_UNIT_ALONE = timed_compile(rf"\b(?i:Apt|Apartment|Suite|Ste){_UNIT_NUMBER}")
# "the corner of <2 to 50 characters> and|& <1 to 4 words>", each run of blanks read one way (with
# "of[ \t]+[^\n,;!?]{2,50}?[ \t]+and" the time grew with the square of a run of blanks). The first
# street starts after the blanks and ends on a character other than a blank, or is one character
# followed by two blanks or more; failing those, what the other splits of the blanks after "of"
# matched: one character followed by one blank (after two blanks or more), or no street at all
# ("and" after four blanks or more). The same matches as before, then, in the same order.
_CORNER = timed_compile(
    r"\b(?i:(?:the[ \t]++)?corner[ \t]++of)[ \t]++"
    r"(?:[^\n,;!?](?:(?=[ \t]{2})|[^\n,;!?]{0,48}?[^\n,;!? \t])[ \t]++|(?<=[ \t]{2})[^\n,;!?][ \t]++|(?<=[ \t]{4}))"
    r"(?i:and|&)[ \t]++"
    r"[\p{L}\d][\p{L}\d'’.\-]*(?:[ \t]++[\p{L}\d][\p{L}\d'’.\-]*){0,3}?"
    r"(?=[ \t]*(?:[,;!?\n]|\.(?:\s|$)|$)|[ \t]+(?i:in|at|on|near|for|to|and|which|where|with)\b)")
_CORNER_WORDS = ("corner",)  # in every match of `_CORNER`, in any case

# --- postal blocks -------------------------------------------------------------------------
_SEP_RUN = frozenset(" \t>?*•|-,\n")  # a separator goes on over these after a comma or line break
_W = r"[\p{L}][\p{L}'’\-]*(?:(?<!\p{L}{4})\.)?"  # a word; a dot only after an abbreviation
_CAP = r"\p{Lu}[\p{L}'’\-]*(?:(?<!\p{L}{4})\.)?"
# Patterns anchored at the end of a part search backwards (REVERSE): same matches, 3x faster.
_PART_UNIT = timed_compile(rf"(?:{_UNIT}|{_BOX}|{_MILITARY}|\#[ \t]*\d{{1,5}})\Z", regex.REVERSE)
_PART_POSTAL = timed_compile(
    rf"(?:(?:{_W}[ \t]+){{0,4}}(?:{_W},?[ \t]+)(?:[A-Z]{{2,3}}[ \t]+)?(?:{_ZIP})(?![ \t]*\d)"
    rf"|(?:{_ZIP})(?:[ \t]+{_CAP}(?:[ \t]+{_CAP}){{0,2}})?)"       # Kiel 24103 | 75007 Paris
    r"(?=[ \t]*(?:[.?!;:)]|\Z|[ \t]))")
_PART_PLACE = timed_compile(
    rf"{_W}(?:[ \t]+(?:{_CAP}|(?:of|and|de|la|del|nad|u|am|an|der|sur|en)(?=[ \t]+\p{{Lu}})))"
    rf"{{0,5}}(?:[ \t]+\d{{1,2}}\b)?(?:[ \t]+\([^)\n]{{1,40}}\))?")
_COUNTRY = timed_compile(r"\p{Lu}[\p{L}'’\-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’\-]*|of|and|the))"
                         r"{0,4}(?=[ \t]*(?:[.?!;)]|\Z))")
_GOES_ON = timed_compile(r"[ \t]+\p{Ll}|[ \t]*[.?!;)]")  # "Cameroon for post mail?"
_LOWER_PLACE = timed_compile(rf"{_W}(?:[ \t]+{_W}){{0,3}}\Z")
# A street part: "<number> <words> [<number>] [unit]", or "<words> <number>" (European).
_STREET_END = timed_compile(
    rf"(?:\b{_NUM}[ \t]+){{1,2}}(?:{_W}[ \t]+){{0,5}}{_W}(?:[ \t]+{_NUM}\.?)?"
    rf"(?:[ \t]+{_ADDR_UNIT}(?-i:(?:[ \t]+{_CAP}){{0,4}}))?\Z", regex.IGNORECASE)
_STREET_END_EU = timed_compile(rf"\b\p{{Lu}}[\p{{L}}'’\-]*(?:[ \t]+{_W}){{0,3}}[ \t]+{_NUM}\.?\Z",
                               regex.REVERSE)
# Only ever searched for (`_has_street_word`): the same words as letter trees (2x faster),
# compound words found from their ending (a lookbehind for a letter before it, with at most
# apostrophes and hyphens between: the leading run otherwise makes the engine backtrack
# through the word's letters at every letter), the three kinds apart (2x faster than one
# alternation, which keeps the engine from skipping ahead to where each can start).
_STREET_WORDS = tuple(timed_compile(p, regex.VERSION0 | regex.IGNORECASE) for p in (
    rf"(?:{trie(w.lower() for w in _SUFFIX_WORDS + _SUFFIX_SHORT)})\b",
    rf"\b(?:(?:{trie(w.lower() for w in _PREFIX_WORDS)})\b|(?:{trie(w.lower() for w in _PREFIX_SHORT)})\.|C/)",
    rf"(?<=\p{{L}}['’\-]*)(?:{trie(_COMPOUND_ENDS)})"))
_HAS_UNIT = timed_compile(_ADDR_UNIT)
_LABEL = timed_compile(
    r"\b(?i:address|addr|ship[ \t]to|bill[ \t]to|deliver[ \t]to|zip(?:[ \t]?code)?|post[ \t]?code|postal[ \t]code)"
    r"(?:[ \t]*[:=]|[ \t]+is)[ \t]*")
_LABEL_FIRST = FirstWords("address addr ship bill deliver zip zipcode post postcode postal".split())
"""The first word of every `_LABEL` match, folded: a match starts where a word does, and a
character that is not a word character ends that word."""
_A_WORD = timed_compile(r"(?<!\w)\p{L}{2,}")  # a word of letters ("0x7ffe" is none)
_CODE = timed_compile(r"[=<>{}\[\]\\`]|\w\(")  # "Column(String(200))", "0x0 pc=0x4a2b3c]"
_HOUSE_NUMBER = timed_compile(r"\b\d{1,5}[A-Za-z]?[ \t]+\Z")  # "10 " before "P.O. Box 5"
_PHONE_LIKE = timed_compile(r"\d[\d \t().\-]{6,}\d")


def _has_street_word(text: str, timeout: float) -> bool:
    """Does ``text`` hold a street word: a suffix ("Street", "Ave"), a prefix ("Rue", "ul."), or
    a compound ending after a letter ("-vej", "straße")?"""
    return any(pattern.search(text, timeout=timeout) for pattern in _STREET_WORDS)


def _parts(text: str) -> list[tuple[int, int]]:
    """``text`` cut at separators: ``(start, end)`` of each part. A separator is a comma or a
    line break with the blanks before it and every character of ``_SEP_RUN`` after it (what
    ``(?:[ \\t]*[,\\n][ \\t>?*•|\\-]*)+`` finds; found with ``str.find``, without a match
    object per part)."""
    out: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    comma, newline = text.find(","), text.find("\n")
    while comma >= 0 or newline >= 0:
        at = newline if comma < 0 or 0 <= newline < comma else comma
        start = at
        while start > pos and text[start - 1] in " \t":
            start -= 1
        end = at + 1
        while end < n and text[end] in _SEP_RUN:
            end += 1
        out.append((pos, start))
        pos = end
        if 0 <= comma < pos:
            comma = text.find(",", pos)
        if 0 <= newline < pos:
            newline = text.find("\n", pos)
    out.append((pos, n))
    return out


def _street_start(part: str, timeout: float) -> tuple[int, int] | None:
    """Where a street begins at the end of ``part`` and how strong it is: 1 for a street word,
    2 for a unit (a house number, a name and a unit make an address on their own)."""
    offset = max(0, len(part) - 100)  # a street is short: only look at the end
    tail = part[offset:]
    found = (pattern.search(tail, timeout=timeout) for pattern in (_STREET_END, _STREET_END_EU))
    m = next((m for m in found if m and len(m.group().split()) <= 12), None)
    # (the costly test for a number that is a phone's comes last: most parts hold no street)
    if m is None or (_PHONE_LIKE.search(tail, timeout=timeout)
                     and not _has_street_word(tail, timeout)):
        return None
    street = m.group()
    return offset + m.start(), (_has_street_word(street, timeout)
                                + 2 * bool(_HAS_UNIT.search(street, timeout=timeout)))


def _may_end_in_unit(part: str) -> bool:
    """What every `_PART_UNIT` match ends with: a digit, or a digit and an ASCII letter."""
    last = part[-1:]
    return has_digit(last) or (last.isascii() and last.isalpha() and has_digit(part[-2:-1]))


def _same_block(text: str, parts: list[tuple[int, int]], j: int) -> bool:
    """Does part ``j`` follow the part before it without a blank line between?"""
    return text.count("\n", parts[j - 1][1], parts[j][0]) < 2


def _postal_blocks(text: str, timeout: float) -> list[tuple[int, int, float]]:
    spans: list[tuple[int, int, float]] = []
    parts = _parts(text)
    i = 0
    while i < len(parts):
        s, e = parts[i]
        raw = text[s:e]
        if not any(map(str.isdigit, raw[-100:])):  # a street or unit part ends in a number
            i += 1
            continue
        unit = _PART_UNIT.search(raw, timeout=timeout) if _may_end_in_unit(raw) else None
        street = _street_start(raw, timeout)
        if unit and (not street or unit.start() <= street[0]):
            begin, strong, weak = s + unit.start(), 1, False
        elif street:
            begin, strong, weak = s + street[0], street[1], not street[1]
        else:
            i += 1
            continue
        stop, n, j = e, 1, i + 1
        while j < len(parts):
            ps, pe = parts[j]
            raw = text[ps:pe]
            # An address is written on consecutive lines, but for a unit or postcode set apart:
            # a place after a blank line ends it ("order #55231\n\nMy card was charged").
            apart = not _same_block(text, parts, j)
            if _may_end_in_unit(raw) and _PART_UNIT.fullmatch(raw, timeout=timeout):
                strong += 1
                stop = pe
            elif has_digit(raw) and (m := _PART_POSTAL.match(raw, timeout=timeout)):  # (postcodes: digits)
                strong += 1
                stop = ps + m.end()
                n += 1
                j += 1
                if m.end() == len(raw) and j < len(parts) and _same_block(text, parts, j):  # a country
                    cs, ce = parts[j]
                    if c := _COUNTRY.match(text, cs, ce, timeout=timeout):
                        stop, n, j = c.end(), n + 1, j + 1
                break  # a postcode (and a country after it) closes the address
            elif apart:
                break
            elif raw.islower() and _LOWER_PLACE.match(raw, timeout=timeout):
                stop = pe
            elif (m := _PART_PLACE.match(raw, timeout=timeout)) and (
                    m.end() == len(raw) or _GOES_ON.match(raw, m.end(), timeout=timeout)):
                stop = ps + m.end()
                if m.end() < len(raw):
                    n += 1
                    j += 1
                    break
            else:
                break
            n += 1
            j += 1
        if (n >= 2 and strong >= 1) or strong >= 2:
            spans.append((begin, stop, 0.65 if strong >= 2 else 0.55))
        elif n >= 2 and weak:
            spans.append((begin, stop, 0.3))  # "55 Podleśna 17, Katowice": needs a context word
        i = max(j, i + 1)
    return spans


def _labelled(text: str, timeout: float, starts: list[int]) -> list[tuple[int, int, float]]:
    """The rest of the line after ``Address:`` / ``ZIP:`` (or the next line when the label ends
    its line), when it holds a number, no code and, after an address label, a word (an IP
    address, a port or a hex pointer has none: ``listen address: 0.0.0.0:8080``,
    ``address: 0x7ffe5a3c``); labels tried at ``starts`` (see `_LABEL_FIRST`)."""
    spans = []
    for m in tried_at(_LABEL, text, starts, timeout):
        start = m.end()
        if text.startswith("\n", start) or text.startswith("\n", start + 1):  # "Address:\n\n12 ..."
            start = len(text) - len(text[start:].lstrip())
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        value = text[start:line_end].rstrip(" \t.;")
        postcode = m.group()[:1] in "zZpP"  # "ZIP:", "postcode:": a number alone will do
        if len(value) <= 120 and has_digit(value) and not _CODE.search(value, timeout=timeout) and (
                postcode or _A_WORD.search(value, timeout=timeout)):
            spans.append((start, start + len(value), 0.6))
    return spans


def _after_a_number(text: str, at: int) -> bool:
    """Can a `_HOUSE_NUMBER` match end at ``at`` (searched for in the 8 characters before it)? It
    ends in blanks, all those before ``at``, with a digit before them, or an ASCII letter after
    a digit."""
    blank, edge = at, max(0, at - 8)
    while blank > edge and text[blank - 1] in " \t":
        blank -= 1
    before = text[blank - 1:blank] if blank < at else ""
    return has_digit(before) or (before.isascii() and before.isalpha() and has_digit(text[blank - 2:blank - 1]))


def _union(text: str, spans: list[tuple[int, int, float]], timeout: float
           ) -> list[tuple[int, int, float]]:
    merged: list[tuple[int, int, float]] = []
    for s, e, score in sorted(spans):
        if _after_a_number(text, s) and (m := _HOUSE_NUMBER.search(text, max(0, s - 8), s, timeout=timeout)):
            s = m.start()
        if merged and s < merged[-1][1]:
            ms, me, mscore = merged[-1]
            merged[-1] = (ms, max(me, e), max(mscore, score))
        else:
            merged.append((s, e, score))
    return merged


def _found(pattern: TimedPattern, text: str, view: View | None, timeout: float,
           group: str | None = None) -> list[Any]:
    """Spans of ``pattern`` in ``view`` (None: the whole text), in the text's offsets, each
    with the text of ``group`` when one is named."""
    where = text if view is None else view.text
    out: list[Any] = []
    if not where:
        return out
    for m in pattern.finditer(where, timeout=timeout):
        start, end = m.span() if view is None else view.to_text(*m.span())
        out.append((start, end) if group is None else (start, end, m.group(group)))
    return out


def find_street_addresses(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
                          ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of street addresses, extended over unit, city, region and zip.
    ``views``: a dict made for this call (see `gates.call_views`), shared with other finders."""
    views = {"text": text} if views is None else views
    spans: list[tuple[int, int, float]] = []
    digits = digit_view(views, "lines")  # the unit, street-in-text and most street patterns need one
    words = words_of(text, timeout, views)
    lines: dict[tuple[Gate, bool], View | None] = {}
    for street, (gate, digit, needs) in zip(_STREETS, _STREET_WHERE):
        if not (words.starts(needs) if isinstance(needs, FirstWords) else not needs or may_hold(text, needs)):
            continue
        if (gate, digit) not in lines:
            lines[gate, digit] = _gated_lines(text, gate, digits if digit else None, timeout, words)
        for start, stop in _found(street, text, lines[gate, digit], timeout):
            tail = _TAIL.match(text, stop, timeout=timeout)
            end = tail.end() if tail else stop
            spans.append((start, end, 0.6 if end > stop else 0.5))
    units = View(text, [(s, e) for s, e in digits.stretches if may_hold(text[s:e], _UNIT_WORDS)], "\n")
    spans += [(s, e, 0.4) for s, e in _found(_UNIT_ALONE, text, units, timeout)]
    spans += [(s, e, 0.6) for s, e, street in _found(_STREET_IN_TEXT, text, units, timeout, "street")
              if _LIKE_A_STREET.search(street, timeout=timeout) or _has_street_word(street, timeout)]
    if may_hold(text, _CORNER_WORDS):
        spans += [(m.start(), m.end(), 0.6) for m in _CORNER.finditer(text, timeout=timeout)]
    spans += _postal_blocks(text, timeout)
    spans += _labelled(text, timeout, words.starts(_LABEL_FIRST))
    return _union(text, spans, timeout)


def _gated_lines(text: str, gate: Gate, digits: View | None, timeout: float, words: Words) -> View | None:
    """The view of the lines of ``text`` where ``gate`` finds something (a search, or a word
    that `FirstWords` lists), among those of ``digits`` (None: all lines; returned: the whole
    text)."""
    if gate is None:
        return digits
    if isinstance(gate, FirstWords):
        found = lines_around(text, [(s, s) for s in words.starts(gate)])
        if digits is not None:
            kept = set(digits.stretches)
            found = [line for line in found if line in kept]
        return View(text, found, "\n")
    where = text if digits is None else digits.text
    hits = [m.span() if digits is None else digits.to_text(*m.span())
            for m in gate.finditer(where, timeout=timeout)]
    return View(text, lines_around(text, hits), "\n")


# --- the lines above a postal address ------------------------------------------------------
_HEAD_LINE = timed_compile(r"[ \t>?*•|\-]*(?P<line>[^\n]{2,50}?)[ \t]*")
_NOT_HEAD = timed_compile(r"[:?!;]\Z|https?:|@|\d[\d \t().\-]{6,}\d|\b(?i:dear|hi|hello|please|thanks"
                          r"|regards|sincerely|subject|re|fwd)\b")
_FENCE_OR_RULE = timed_compile(r"[ \t>]*(?:(?:```|~~~)[^\n]*|(?:[\-*_=][ \t]*){3,})")  # ``` or ---: a block ends


def lines_above(text: str, start: int, timeout: float = REGEX_TIMEOUT) -> list[tuple[int, int]]:
    """The name and company lines of a letterhead or shipping label: up to three short lines
    right above a multi-line address that starts at ``start`` (a blank line between is fine).
    Lines that read like a sentence, a greeting, a URL, an email or a phone number end it, and
    so do a code fence, a rule (``---``) and a line without a letter."""
    spans: list[tuple[int, int]] = []
    end = text.rfind("\n", 0, start)
    blank = False
    while end > 0 and len(spans) < 3:
        begin = text.rfind("\n", 0, end) + 1
        if not text[begin:end].strip():
            if blank or spans:
                break
            blank, end = True, begin - 1
            continue
        m = _HEAD_LINE.fullmatch(text, begin, end, timeout=timeout)
        if (not m or _NOT_HEAD.search(m.group("line"), timeout=timeout) or len(m.group("line").split()) > 6
                or not any(c.isalpha() for c in m.group("line"))
                or _FENCE_OR_RULE.fullmatch(text, begin, end, timeout=timeout)):
            break
        spans.append(m.span("line"))
        end = begin - 1
    return spans[::-1]
