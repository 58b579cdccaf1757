"""Recognisers added to Presidio's: street addresses (`addresses`), dates (`dates`), names
and organisations by their form and country names (`people`), values under keys that say
what they are (`labelled`), secrets, a fast phone
recogniser, an email recogniser that never fetches the public suffix list, and user
recognisers from YAML. Presidio's slow ones run on less of the text (`gates`).

Our patterns use the ``regex`` module with guardlayer's timeout (fail closed on a timeout).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import regex

from ...errors import RuleFileError
from ...guard import REGEX_TIMEOUT
from ...regex_lint import backtracking_error
from ...secrets import PATTERNS as SECRET_PATTERNS
from ...secrets import SECRET, find_secrets
from ...timed_regex import timed_compile
from .addresses import STREET_ADDRESS, find_street_addresses
from .dates import find_dates
from .gates import call_views, digit_view, gated
from .labelled import ENTITIES as LABELLED_ENTITIES
from .labelled import find_labelled
from .names import find_given_names, names
from .people import (
    english_words,
    find_countries,
    find_names,
    find_organizations,
    find_places,
    find_speakers,
)

# --- phone numbers ------------------------------------------------------------------------
_PHONE = timed_compile(
    r"(?<![\w+.\-/])(?P<number>(?:\+\d{1,3}[ \t.\-]?|00\d{1,3}[ \t.\-])?(?:\(\d{1,5}\)[ \t.\-]?)?"
    r"\d{1,10}(?:[ \t.\-]\d{1,8}){0,5})(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?"
    r"(?!\w|[\-/.:]\d)")
_PAIRS = timed_compile(r"\d{2}(?:[ \t.\-]\d{2}){2}")  # "33 93 31": a short local number
_PHONE_WORD = timed_compile(r"(?i:\b(?:phone|tel|telephone|mobile|cell|call|fax|office|contact"
                            r"|whatsapp|reach|dial|ring|landline|desk)\b)")
_NOT_A_PHONE = timed_compile(r"\d{3}-\d{2}-\d{4}"                # an SSN
                             r"|\d{1,3}(?:\.\d{1,3}){3}"              # an IP address
                             r"|\d{4}-\d{2}-\d{2}|\d{1,2}[.\-]\d{1,2}[.\-]\d{2,4}"  # a date
                             r"|\d+\.\d{1,2}")                      # an amount: 250000.00, 100000.0
_DIGITS_ONLY = timed_compile(r"\d+(?:[ \t]\d+)*")  # "20 31 32 33", "00000010": perhaps a hex dump's
_BYTES = timed_compile(  # "4f 6b 20 31 0a", perhaps after an offset ("00000010  4f 6b", "0010: 4f")
    r"(?<!\S)(?:[0-9A-Fa-f]{4,16}:?[ \t]+)?[0-9A-Fa-f]{2}(?:[ \t]+[0-9A-Fa-f]{2})+(?!\S)")
_HEX_LETTER_BYTE = timed_compile(r"(?<!\S)(?:\d[A-Fa-f]|[A-Fa-f]\d)(?!\S)")  # "0a", "f0"


def find_phone_numbers(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
                       ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of phone-number shapes with 7 to 15 digits (before any extension),
    or three pairs of digits (scored to need a context word such as "call"). Looked for on the
    lines that hold a digit (`gates.digit_view`; ``views``: a dict made for this call): every
    match holds one and lies in one line, and looks no further than its line's edges."""
    lines = digit_view({"text": text} if views is None else views, "lines")
    spans: list[tuple[int, int, float]] = []
    dumps: list[tuple[int, int]] | None = None
    for m in _PHONE.finditer(lines.text, timeout=timeout) if lines.text else ():
        number = m.group("number")
        digits = sum(c.isdigit() for c in number)
        start, end = lines.to_text(*m.span())
        if _DIGITS_ONLY.fullmatch(number, timeout=timeout):
            dumps = hex_dumps(lines.text, timeout) if dumps is None else dumps
            at = bisect_right(dumps, (m.start(), len(lines.text))) - 1
            if at >= 0 and m.end() <= dumps[at][1]:
                continue
        if digits == 6 and _PAIRS.fullmatch(number, timeout=REGEX_TIMEOUT):
            spans.append((start, end, 0.3))
            continue
        if not 7 <= digits <= 15 or _NOT_A_PHONE.fullmatch(number, timeout=REGEX_TIMEOUT):
            continue
        marked = number[0] in "+(" or number.startswith("00") or len(number) != len(m.group())
        separated = digits < len(number)
        spans.append((start, end, 0.6 if marked else 0.45 if separated else 0.3))
    # A phone word just before or after ("61 51 81 office") makes a weak shape count.
    return [(s, e, max(score, 0.5) if _PHONE_WORD.search(
                text, max(0, s - 40), min(len(text), e + 20), timeout=timeout) else score)
            for s, e, score in spans]


def hex_dumps(text: str, timeout: float = REGEX_TIMEOUT) -> list[tuple[int, int]]:
    """Where ``text`` holds bytes written in hex, two digits each, blank apart, perhaps after an
    offset: a run of them too long for a phone number written in pairs (8 or more: no phone has
    16 digits), or one with a byte that mixes a digit and a letter ("0a", "f0"). Digits in such
    a run are bytes or an offset, not a phone number, and NER's guesses there ("ec", "b5 f2")
    no names; a number in pairs ("06 12 34 56 78") stands alone."""
    return [m.span() for m in _BYTES.finditer(text, timeout=timeout)
            if len(m.group().split()) >= 8 or _HEX_LETTER_BYTE.search(m.group(), timeout=timeout)]


# --- Presidio adapters --------------------------------------------------------------------
def _presidio_recognizer_class() -> Any:
    from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

    class SpanRecognizer(LocalRecognizer):
        """A Presidio recogniser over a function ``text -> [(start, end, score)]``; one that
        ``shares`` also takes ``views``, a dict made for this call (`gates.call_views`). Given
        several entities, the function returns ``(start, end, score, entity)``."""

        def __init__(self, entity: str | list[str], finder: Any, context: list[str], name: str,
                     shares: bool = False) -> None:
            self._finder, self._shares = finder, shares
            entities = [entity] if isinstance(entity, str) else entity
            super().__init__(supported_entities=entities, name=name, context=context)

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            wanted = set(entities or self.supported_entities).intersection(self.supported_entities)
            if not wanted:
                return []
            meta = {RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}
            spans = (self._finder(text, views=call_views(text, nlp_artifacts))
                     if self._shares else self._finder(text))
            single = self.supported_entities[0]
            return [RecognizerResult(entity, s, e, score,
                                     AnalysisExplanation(self.name, score),
                                     recognition_metadata=dict(meta))
                    for s, e, score, *typed in spans
                    for entity in typed or [single] if entity in wanted]

    return SpanRecognizer


def _secret_spans(text: str) -> list[tuple[int, int, float]]:
    return [(f.start, f.end, f.score) for f in find_secrets(text, SECRET_PATTERNS)]


def _email_recognizer() -> Any:
    """Presidio's email recogniser with a tldextract that uses its bundled suffix list only."""
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer()


def _nhs_recognizer() -> Any:
    """Presidio's NHS number recogniser, its checksum trusted on its own only for the number's
    3-3-4 format ("943 476 5919"): one number in 11 passes it, so ten bare digits (an amount, an
    ID, a timestamp) count only with a context word ("NHS", "patient": 0.1 raised to 0.45)."""
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import NhsRecognizer

    class NhsNumberRecognizer(NhsRecognizer):
        def validate_result(self, pattern_text: str) -> bool | None:
            valid = super().validate_result(pattern_text)
            return None if valid and pattern_text.isdigit() else valid

    patterns = [Pattern(p.name, p.regex, 0.1) for p in NhsRecognizer.PATTERNS]
    return NhsNumberRecognizer(patterns=patterns, name="NhsRecognizer", context=[
        *NhsRecognizer.CONTEXT, "health", "patient", "hospital", "medical", "clinic"])


_ENABLED = ("UkPostcodeRecognizer", "UkNinoRecognizer")
"""Presidio recognisers that its default configuration leaves off, switched on here."""

def builtin_recognizers(nlp_engine: Any, *, ner: bool) -> list[Any]:
    """Presidio's default English recognisers with email, phone and NHS numbers replaced, two
    UK ones switched on, plus ours (the English words that `find_names` reads and the names
    lists loaded now, not in the first call: a missing or corrupted list fails here)."""
    from presidio_analyzer import RecognizerRegistry, predefined_recognizers

    english_words()
    names()

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    replaced = {"EmailRecognizer", "PhoneRecognizer", "NhsRecognizer"} | (
        {"SpacyRecognizer"} if not ner else set())
    span = _presidio_recognizer_class()
    return [gated(r) for r in registry.recognizers if r.name not in replaced] + [
        gated(getattr(predefined_recognizers, name)()) for name in _ENABLED] + [
        gated(_email_recognizer()), gated(_nhs_recognizer()),
        span("PHONE_NUMBER", find_phone_numbers, ["phone", "telephone", "tel", "cell",
             "mobile", "call", "fax", "contact", "whatsapp", "office", "reach", "dial", "ring"],
             "GuardlayerPhoneRecognizer", shares=True),
        span(STREET_ADDRESS, find_street_addresses, ["address", "live", "lives", "located",
             "street", "reside", "ship", "deliver", "mail", "visit", "moved", "return", "sent"],
             "StreetAddressRecognizer", shares=True),
        span("DATE_TIME", find_dates, ["born", "birth", "date", "dob", "when"], "DateTimeRecognizer",
             shares=True),
        span("PERSON", find_names, [], "NameCueRecognizer", shares=True),
        span("PERSON", find_speakers, [], "SpeakerRecognizer"),
        span("PERSON", find_given_names, [], "GivenNameRecognizer", shares=True),
        span("ORGANIZATION", find_organizations, [], "OrganizationSuffixRecognizer", shares=True),
        span("LOCATION", find_places, [], "PlaceCueRecognizer", shares=True),
        span("LOCATION", find_countries, [], "CountryRecognizer", shares=True),
        span(LABELLED_ENTITIES, find_labelled, [], "LabelledValueRecognizer"),
        span(SECRET, _secret_spans, ["key", "token", "secret", "password"], "SecretRecognizer"),
    ]


# --- user recognisers from YAML -----------------------------------------------------------
def _recognizer_file(name: str | Path) -> Path:
    path = Path(name)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    from ...paths import shipped_rules

    try:
        return shipped_rules("pii", f"{name}.yaml")
    except FileNotFoundError:
        return path


def load_yaml_recognizers(paths: Iterable[str | Path]) -> list[Any]:
    """Presidio pattern recognisers from YAML files in Presidio's format::

        recognizers:
          - name: EmployeeId
            supported_entity: EMPLOYEE_ID
            patterns: [{name: emp, regex: "EMP-\\\\d{6}", score: 0.9}]
            context: [employee]
            deny_list: [...]        # optional: exact words always flagged

    A bare name such as ``company_ids`` means a file shipped in ``rules/pii/``. A pattern that
    backtracks catastrophically (`regex_lint.backtracking_error`, with the flags Presidio runs
    it with) is refused, as the injection signatures' and policy rules' are: it would time out,
    and so fail the check, on long texts.
    """
    from presidio_analyzer import PatternRecognizer

    from ... import yaml_lines

    recognizers = []
    for path in map(_recognizer_file, paths):
        data, lines = yaml_lines.load(path)

        def fail(message: str, at: tuple[Any, ...], path: Path = path,
                 lines: yaml_lines.Lines = lines) -> RuleFileError:
            return RuleFileError(message, file=str(path), line=yaml_lines.line_of(lines, at),
                                 field=yaml_lines.field_name(at))

        items = data.get("recognizers") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise fail("expected a non-empty 'recognizers' list", ("recognizers",))
        for i, item in enumerate(items):
            here = ("recognizers", i)
            if not isinstance(item, dict) or not item.get("supported_entity"):
                raise fail("each recognizer needs 'supported_entity'", here)
            for j, pattern in enumerate(item.get("patterns") or []):
                try:
                    timed_compile(pattern["regex"])
                except (KeyError, TypeError, regex.error) as exc:
                    raise fail(f"bad pattern: {exc}", here + ("patterns", j)) from exc
                score = pattern.get("score")
                if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
                    raise fail(f"score must be a number between 0 and 1, not {score!r}",
                               here + ("patterns", j, "score"))
            try:
                recognizer = PatternRecognizer.from_dict({"supported_language": "en", **item})
            except (TypeError, ValueError) as exc:
                raise fail(f"not a valid recognizer: {exc}", here) from exc
            for j, pattern in enumerate(item.get("patterns") or []):
                if slow := backtracking_error(pattern["regex"], recognizer.global_regex_flags or 0):
                    raise fail(slow, here + ("patterns", j, "regex"))
            recognizers.append(recognizer)
    return recognizers
