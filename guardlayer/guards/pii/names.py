"""People found by their names: given names and surnames from the US Census Bureau's 1990 lists
(``data/names.json``, built by ``benchmarks/build_names.py``; checked by its sha256 when loaded).

- `find_given_names` (both modes): a given name and a surname (listed, or no English word),
  nothing else capitalised around them ("Tina Alexandrov", "Kimberly Kovačić"); in lower case
  too when the given name is a frequent one ("julie novák", "david lange"); a given name that is
  also a word ("Grace", "Will", "Mark") only capitalised, before a listed surname and not where
  a sentence starts ("I hope Grace Hopper's book");
- `is_given_name`: a one-word spaCy guess of an organisation, a place or a group that is a given
  name and no English word ("Why is Alena so impulsive?"): a person (`results` relabels it);
- `is_firm`: a name found as a person's that the text says is a firm's (`results` relabels it): a
  large firm named like a person ("Morgan Stanley", "Ralph Lauren": ``data/firms.json``, built by
  ``benchmarks/build_firms.py`` from stock index lists, checked by its sha256), or one that a
  firm's words follow or precede ("X said its profit", "X's shareholders", "shares of X").
  A firm's suffix after a name ("Morgan Stanley Capital", "Johnson Controls Inc") is found by
  `people.find_organizations`, whose longer span wins the merge.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile
from .people import (
    PLURALS,
    FirstWords,
    Words,
    countries,
    english_words,
    is_common_word,
    is_english,
    lemma_tables,
    starts_a_sentence,
    words_of,
)

NAMES_FILE = Path(__file__).resolve().parent / "data" / "names.json"
EXPECTED_SHA256 = "542b26e12fc2a5f14e2032446418cfe2d92bbe2d21c3c62b8618201e53b5b45e"
"""The sha256 of the shipped ``names.json`` (printed by ``benchmarks/build_names.py``)."""
FIRMS_FILE = NAMES_FILE.with_name("firms.json")
EXPECTED_FIRMS_SHA256 = "b05633f35eb55403e5647ea09f501d07ce7c1b42cf6ef9637235b2069f9ae8f5"
"""The sha256 of the shipped ``firms.json`` (printed by ``benchmarks/build_firms.py``)."""
FREQUENT = 1000
"""How many of the given names (most frequent first in the file) may start a name written in
lower case: rare ones are often words of other languages too ("mi correo", "song recommender")."""

_NOT_SURNAMES = frozenset((
    "beach city county springs park lake river falls heights valley island islands bay hills hill "
    "mount mountain port point harbor harbour village town creek grove woods forest field fields "
    "ridge rock station street avenue road lane drive court place square center centre hall house "
    "church chapel school college university institute hospital clinic bank group company press "
    "records studios airlines motors foods systems solutions labs media news times post journal "
    "review club team united state states national international").split())
"""Words that end the name of a place or an organisation ("Virginia Beach", "Grace Church"),
though some are surnames too."""
_GLUED_BEFORE = frozenset("-._@/\\")
_GLUED_AFTER = frozenset("-_@/\\")


@dataclass(frozen=True)
class Names:
    """The lists, lower case: ``given`` names, the `FREQUENT` most frequent of them
    (``frequent``), those that are also common English words (``given_words``: "will",
    "grace", "june") and frequent ``surnames``."""

    given: frozenset[str]
    frequent: frozenset[str]
    given_words: frozenset[str]
    surnames: frozenset[str]


def load_names(path: Path = NAMES_FILE, sha256: str = EXPECTED_SHA256) -> Names:
    """The lists in ``path``, which must hash to ``sha256``; a `ConfigError` that says so if it
    is missing, unreadable or changed."""
    data = _checked_json(path, sha256, "names list", "build_names.py")
    return Names(frozenset(data["given"]), frozenset(data["given"][:FREQUENT]),
                 frozenset(data["given_words"]), frozenset(data["surnames"]))


@functools.cache
def names() -> Names:
    """The shipped lists (`load_names`), loaded once."""
    return load_names()


def load_firms(path: Path = FIRMS_FILE, sha256: str = EXPECTED_FIRMS_SHA256) -> frozenset[str]:
    """The firms' names in ``path`` (as written: "Morgan Stanley"), which must hash to ``sha256``;
    a `ConfigError` that says so if it is missing, unreadable or changed."""
    return frozenset(_checked_json(path, sha256, "firms list", "build_firms.py")["firms"])


@functools.cache
def firms() -> frozenset[str]:
    """The shipped firms list (`load_firms`), loaded once."""
    return load_firms()


def _checked_json(path: Path, sha256: str, what: str, script: str) -> Any:
    """The JSON in ``path`` if its bytes hash to ``sha256``; else a `ConfigError` naming ``what``
    and the fix (``script`` under ``benchmarks/`` rebuilds it)."""
    fix = f"reinstall guardlayer, or rebuild it with benchmarks/{script}"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"the PII guard's {what} cannot be read ({exc}): {fix}", where=str(path)) from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise ConfigError(f"the PII guard's {what} is corrupted (sha256 {digest}, expected "
                          f"{sha256}): {fix}", where=str(path))
    return json.loads(raw)


@functools.cache
def _given_first() -> FirstWords:
    """The words that can start a name `find_given_names` finds: a frequent given name that is
    no word in any case, any other given name capitalised ("in", "will", "song" in lower case
    start none)."""
    lists = names()
    anycase = lists.frequent - lists.given_words
    return FirstWords(anycase, [name.capitalize() for name in lists.given - anycase])


def is_given_name(value: str) -> bool:
    """Is ``value``, a one-word guess of an organisation, a place or a group, a given name that
    is no English word nor a country? WordNet, which `english_words` reads, names places, firms
    and stars ("Austin", "Chelsea", "Venus"). A possessive's "'s" is left out."""
    word = unowned(value)
    folded = word.lower()
    return (word.isalpha() and word[:1].isupper() and folded in names().given
            and folded not in names().given_words and not is_english(folded, english_words())
            and word not in countries())


def find_given_names(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
                     ) -> list[tuple[int, int, float]]:
    """``(start, end, 0.55)`` of a given name and a surname one blank apart (see the module),
    looked for only at the words that are given names."""
    words = words_of(text, timeout, views)
    spans = []
    for i in words.indexes(_given_first()):
        if i + 1 < len(words.words) and _is_pair(text, words, i):
            spans.append((words.starts_at(i), words.starts_at(i + 1) + len(words.words[i + 1]), 0.55))
    return spans


def _is_pair(text: str, words: Words, i: int) -> bool:
    """Do words ``i`` and ``i + 1`` of ``text`` name a person (`find_given_names`)?"""
    given, surname = words.words[i], words.words[i + 1]
    if not (given.istitle() and surname.istitle() or given.islower() and surname.islower()):
        return False
    start, end = words.starts_at(i), words.starts_at(i + 1) + len(surname)
    if text[start + len(given):end - len(surname)] not in (" ", "\t") or not surname.isalpha():
        return False
    before, after = text[max(0, start - 1):start], text[end:end + 1]
    if before.isalnum() or after.isalnum() or before in _GLUED_BEFORE or after in _GLUED_AFTER:
        return False  # part of a longer token: "j.smith", "Anna-Lena", "mary_jones"
    folded, last = given.lower(), surname.lower()
    if last in _NOT_SURNAMES:
        return False
    if given.islower():  # "julie novák", "david smith"; not "max speed", "will smith", "mi correo"
        return folded in names().frequent and folded not in names().given_words and _surname(last)
    if surname in countries() or _capitalised_beside(text, words, i):
        return False
    if folded in names().given_words:  # "Grace Hopper" inside a sentence, not "Princess Royal"
        return last in names().surnames and last not in word_lemmas() and not starts_a_sentence(text, start)
    return _surname(last)


@functools.cache
def word_lemmas() -> frozenset[str]:
    """The verbs, adjectives and adverbs among `english_words`' lemmas (WordNet's, in the pinned
    pipeline package) and spaCy's stop words: words whatever else they name ("royal", "will"),
    where a noun may be a name only ("david", "austin": WordNet lists people and places)."""
    return _describing_words() | _lemmas("verb")


@functools.cache
def _describing_words() -> frozenset[str]:
    """The adjectives and adverbs among `english_words`' lemmas and spaCy's stop words."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | _lemmas("adj") | _lemmas("adv")


@functools.cache
def _lemmas(pos: str) -> frozenset[str]:
    """The lemmas of part of speech ``pos`` in spaCy's English lookups (WordNet's); none when the
    pipeline package is missing."""
    from spacy.strings import hash_string

    return frozenset(lemma_tables().get("lemma_index", {}).get(hash_string(pos), ()))


_FIRM_AFTER = timed_compile(
    r"['’]s[ \t]+(?i:shareholders|stockholders|(?:stock|share)[ \t]+price|stock|market[ \t]+(?:cap|value)"
    r"|CEO|chief[ \t]+executive|headquarters|subsidiar(?:y|ies))\b"
    r"|[ \t]+(?:\p{Ll}+[ \t]+){0,2}?its[ \t]+(?P<owned>\p{Ll}+)\b")
"""After a firm's name: what only firms have ("Morgan Stanley's shareholders", "X's CEO"), or
"its" and a noun within three words ("Morgan Stanley said its profit", "X and its partners")."""
_FIRM_BEFORE = timed_compile(r"\b(?i:shares|stock|stake)[ \t]+(?:of|in)[ \t]+\Z")  # "shares of Morgan Stanley"
_REACH = 48  # how far around a name its firm's words are looked for


def is_firm(text: str, start: int, end: int, timeout: float = REGEX_TIMEOUT) -> bool:
    """Does ``text`` say that ``text[start:end]``, found as a person's name, is a firm's (see the
    module)? "its" counts before a noun that is no adjective, adverb or stop word, so not where it
    stands for "it's" ("Anna said its fine", "its not")."""
    name = unowned(text[start:end])
    if name in firms():
        return True
    end = start + len(name)
    after = _FIRM_AFTER.match(text, end, min(len(text), end + _REACH), timeout=timeout)
    if after and (not after.group("owned") or _is_thing(after.group("owned"))):
        return True
    return (text[end:end + 1] not in ("'", "’")  # not "shares in John Smith's company"
            and _FIRM_BEFORE.search(text, max(0, start - _REACH), start, timeout=timeout) is not None)


def unowned(name: str) -> str:
    """``name`` without a possessive's "'s"."""
    return name.removesuffix("'s").removesuffix("’s")


def _is_thing(word: str) -> bool:
    """Is ``word`` (lower case) a noun, or a noun's plural, that is no adjective, adverb or stop
    word ("profit", "shares"; not "fine", "not")?"""
    forms = [word, *(word[:-len(end)] + put for end, put in PLURALS if word.endswith(end))]
    return any(form in _lemmas("noun") for form in forms) and not any(form in _describing_words() for form in forms)


def _surname(folded: str) -> bool:
    """Is ``folded`` a listed surname that is no common word, or no English word at all?"""
    return folded in names().surnames and not is_common_word(folded) or not is_english(folded, english_words())


def _capitalised_beside(text: str, words: Words, i: int) -> bool:
    """Does a capitalised word stand blank-apart before word ``i`` (not at a sentence's start)
    or after word ``i + 1`` ("New Jersey Devils", "Washington Irving Middle School")?"""
    if words.capitalised_before(i, text) and not starts_a_sentence(text, words.starts_at(i - 1)):
        return True
    return (i + 2 < len(words.words) and words.words[i + 2][:1].isupper()
            and words.capitalised_before(i + 2, text))
