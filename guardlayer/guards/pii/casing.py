"""Caseless texts as NER should see them.

A small NER model reads capitals as the mark of a name: in a text written all in lower case
("i want to add julie novák as a beneficiary") or all in capitals it misses most people or
takes every word for one. Such a text is handed to NER (only to NER: offsets, the scrubbed
text and every pattern keep the original) with the words that are no English words
capitalised and the rest in lower case ("i want to add Julie Novák as a beneficiary"), the
way it would most likely have been written. English words that are also names ("john",
"smith") stay in lower case, so they are still missed: no guess is made where none can be.
"""
from __future__ import annotations

from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile
from .people import english_words, is_english

_WORD = timed_compile(r"(?<![\w'’\-.@/])\p{L}[\p{L}\-]+(?![\w'’@])")  # not "ll" of "we'll", a domain or a handle
_NO_ONE = frozenset("ssn iban pin cvv dob zip url api sms otp vat bic swift ok".split())
"""Lower-case acronyms ("my iban is"): not names, even though they are no English words."""


def for_ner(text: str, timeout: float = REGEX_TIMEOUT) -> str:
    """``text`` truecased for NER when it has no capitals or no lower-case letters (the same
    length, character for character); any other text as it is."""
    lower = text.lower()
    if len(lower) != len(text) or (text != lower and text != text.upper()):
        return text
    known = english_words()
    chars = list(lower)
    for m in _WORD.finditer(lower, timeout=timeout):
        word = m.group()
        if word in _NO_ONE or is_english(word, known):
            continue
        capital = word[0].upper()
        if len(capital) == 1:
            chars[m.start()] = capital
    return "".join(chars)
