"""Recognisers added to Presidio's: street addresses (`addresses`), dates (`dates`), names
and organisations by their form (`people`), secrets, a fast phone recogniser, an email
recogniser that never fetches the public suffix list, and user recognisers from YAML.

Our patterns use the ``regex`` module with guardlayer's timeout (fail closed on a timeout).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import regex

from ...errors import RuleFileError
from ...guard import REGEX_TIMEOUT
from ...secrets import PATTERNS as SECRET_PATTERNS
from ...secrets import SECRET, find_secrets
from .addresses import STREET_ADDRESS, find_street_addresses
from .dates import find_dates
from .people import find_names, find_organizations, find_places, find_speakers

# --- phone numbers ------------------------------------------------------------------------
_PHONE = regex.compile(
    r"(?<![\w+.\-/])(?:\+\d{1,3}[ \t.\-]?|00\d{1,3}[ \t.\-])?(?:\(\d{1,5}\)[ \t.\-]?)?"
    r"\d{1,10}(?:[ \t.\-]\d{1,8}){0,5}(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?"
    r"(?!\w|[\-/.:]\d)")
_PAIRS = regex.compile(r"\d{2}(?:[ \t.\-]\d{2}){2}")  # "33 93 31": a short local number
_PHONE_WORD = regex.compile(r"(?i:\b(?:phone|tel|telephone|mobile|cell|call|fax|office|contact"
                            r"|whatsapp|reach|dial|ring|landline|desk)\b)")
_SSN_SHAPE = regex.compile(r"\d{3}-\d{2}-\d{4}")
_DOTTED_QUAD = regex.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE_SHAPE = regex.compile(r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[.\-]\d{1,2}[.\-]\d{2,4})")


def find_phone_numbers(text: str, timeout: float = REGEX_TIMEOUT) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of phone-number shapes with 7 to 15 digits (before any extension),
    or three pairs of digits (scored to need a context word such as "call")."""
    spans: list[tuple[int, int, float]] = []
    for m in _PHONE.finditer(text, timeout=timeout):
        number = regex.split(r"[ \t]*(?:x|ext\.?|extension)", m.group(), maxsplit=1, timeout=REGEX_TIMEOUT)[0]
        digits = sum(c.isdigit() for c in number)
        if digits == 6 and _PAIRS.fullmatch(number, timeout=REGEX_TIMEOUT):
            spans.append((m.start(), m.end(), 0.3))
            continue
        if not 7 <= digits <= 15 or any(shape.fullmatch(number, timeout=REGEX_TIMEOUT) for shape in
                                         (_SSN_SHAPE, _DOTTED_QUAD, _DATE_SHAPE)):
            continue
        marked = number[0] in "+(" or number.startswith("00") or len(number) != len(m.group())
        separated = digits < len(number)
        spans.append((m.start(), m.end(), 0.6 if marked else 0.45 if separated else 0.3))
    # A phone word just before or after ("61 51 81 office") makes a weak shape count.
    return [(s, e, max(score, 0.5) if _PHONE_WORD.search(
                text, max(0, s - 40), min(len(text), e + 20), timeout=timeout) else score)
            for s, e, score in spans]


# --- Presidio adapters --------------------------------------------------------------------
def _presidio_recognizer_class() -> Any:
    from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

    class SpanRecognizer(LocalRecognizer):
        """A Presidio recogniser over a function ``text -> [(start, end, score)]``."""

        def __init__(self, entity: str, finder: Any, context: list[str], name: str) -> None:
            self._finder = finder
            super().__init__(supported_entities=[entity], name=name, context=context)

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            entity = self.supported_entities[0]
            if entities and entity not in entities:
                return []
            meta = {RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}
            return [RecognizerResult(entity, s, e, score,
                                     AnalysisExplanation(self.name, score),
                                     recognition_metadata=dict(meta))
                    for s, e, score in self._finder(text)]

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


_ENABLED = ("UkPostcodeRecognizer", "UkNinoRecognizer")
"""Presidio recognisers that its default configuration leaves off, switched on here."""

GATES: dict[str, regex.Pattern[str]] = {
    "UrlRecognizer": regex.compile(r"(?i)[a-z0-9.\-]\.[a-z]|://"),
    "IpRecognizer": regex.compile(r"\d\.\d|:"),
    "IbanRecognizer": regex.compile(r"(?i)[a-z]{2}\d{2}"),
}
"""Something every match of a slow Presidio recogniser contains: without it in the text the
recogniser is not run (its URL pattern alone cost a tenth of the regex-only mode)."""


_TLD = regex.compile(r"\(\?:([a-z0-9\-]+)\)")


def gate_for(recognizer: Any) -> regex.Pattern[str] | None:
    """The gate of a Presidio recogniser (None: it always runs). For URLs, every pattern
    needs a letter, digit, dot or hyphen, a dot and one of its top-level domains: the gate is
    exactly that (the domains read from the recogniser's own patterns), so "e.g." or "Mr.Smith"
    no longer wake it; ``GATES`` has a looser one if the domains cannot be read."""
    gate = GATES.get(recognizer.name)
    if recognizer.name == "UrlRecognizer":
        patterns = [p.regex for p in getattr(recognizer, "patterns", [])]
        tlds = [set(_TLD.findall(p, timeout=REGEX_TIMEOUT)) for p in patterns]
        if patterns and all(tlds) and all(r"[a-z0-9.\-]{1,253}[.](?:" in p for p in patterns):
            names = sorted(set().union(*tlds), key=lambda t: (-len(t), t))
            gate = regex.compile(r"(?i)[a-z0-9.\-]\.(?:" + "|".join(map(regex.escape, names)) + ")")
    return gate


# What a pattern may hold and still never match white space: these classes, and otherwise
# no class, no \s \S \W \D \b \B, no "." outside a class, no anchor, no white space.
_NO_SPACE_CLASSES = (r"""[^\s()<>\"']""", "[.]", r"[a-z0-9.\-]", r"""["\']""")
_MAY_SPAN_SPACE = regex.compile(r"\[|\\[sSWDbB]|(?<!\\)\.|\s|\$|\^")
_SPACE = regex.compile(r"\s")
_SPACE_BEFORE = regex.compile(r"\s", regex.REVERSE)


def _never_spans_space(recognizer: Any) -> bool:
    """True when no pattern of ``recognizer`` can match white space or look past it (checked
    on the pattern text, conservatively: anything unknown says no)."""
    patterns = [p.regex for p in getattr(recognizer, "patterns", [])]
    for pattern in patterns:
        for cls in _NO_SPACE_CLASSES:
            pattern = pattern.replace(cls, "")
        if _MAY_SPAN_SPACE.search(pattern, timeout=REGEX_TIMEOUT):
            return False
    return bool(patterns)


def _chunks(text: str, hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The white-space-free stretches of ``text`` around ``hits``, merged."""
    out: list[tuple[int, int]] = []
    for s, e in hits:
        before = _SPACE_BEFORE.search(text, 0, s, timeout=REGEX_TIMEOUT)
        after = _SPACE.search(text, e, timeout=REGEX_TIMEOUT)
        start, end = before.end() if before else 0, after.start() if after else len(text)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _gated(recognizer: Any) -> Any:
    """Run a slow recogniser only when its gate finds something; when its matches never hold
    white space and the gate is built from its patterns (URLs), run it only on the
    white-space-free stretches that hold a gate hit: each match lies inside one of them, and a
    pattern that cannot see past white space finds the same there as in the whole text."""
    gate = gate_for(recognizer)
    if gate is None:
        return recognizer
    analyze = recognizer.analyze
    local = gate is not GATES.get(recognizer.name) and _never_spans_space(recognizer)

    def gated_analyze(text: str, *args: Any, **kwargs: Any) -> Any:
        if not local:
            return analyze(text, *args, **kwargs) if gate.search(text, timeout=REGEX_TIMEOUT) else []
        found = []
        hits = [m.span() for m in gate.finditer(text, timeout=REGEX_TIMEOUT)]
        for start, end in _chunks(text, hits):
            for result in analyze(text[start:end], *args, **kwargs):
                result.start += start
                result.end += start
                found.append(result)
        return found

    recognizer.analyze = gated_analyze
    return recognizer


def builtin_recognizers(nlp_engine: Any, *, ner: bool) -> list[Any]:
    """Presidio's default English recognisers with email and phone replaced, two UK ones
    switched on, plus ours."""
    from presidio_analyzer import RecognizerRegistry, predefined_recognizers

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    replaced = {"EmailRecognizer", "PhoneRecognizer"} | ({"SpacyRecognizer"} if not ner else set())
    span = _presidio_recognizer_class()
    return [_gated(r) for r in registry.recognizers if r.name not in replaced] + [
        getattr(predefined_recognizers, name)() for name in _ENABLED] + [
        _email_recognizer(),
        span("PHONE_NUMBER", find_phone_numbers, ["phone", "telephone", "tel", "cell",
             "mobile", "call", "fax", "contact", "whatsapp", "office", "reach", "dial", "ring"],
             "GuardlayerPhoneRecognizer"),
        span(STREET_ADDRESS, find_street_addresses, ["address", "live", "lives", "located",
             "street", "reside", "ship", "deliver", "mail", "visit", "moved", "return", "sent"],
             "StreetAddressRecognizer"),
        span("DATE_TIME", find_dates, ["born", "birth", "date", "dob", "when"], "DateTimeRecognizer"),
        span("PERSON", find_names, [], "NameCueRecognizer"),
        span("PERSON", find_speakers, [], "SpeakerRecognizer"),
        span("ORGANIZATION", find_organizations, [], "OrganizationSuffixRecognizer"),
        span("LOCATION", find_places, [], "PlaceCueRecognizer"),
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

    A bare name such as ``company_ids`` means a file shipped in ``rules/pii/``.
    """
    import yaml
    from presidio_analyzer import PatternRecognizer

    recognizers = []
    for path in map(_recognizer_file, paths):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RuleFileError(f"cannot read recognizers: {exc}", file=str(path)) from exc
        items = data.get("recognizers") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise RuleFileError("expected a non-empty 'recognizers' list", file=str(path),
                                field="recognizers")
        for i, item in enumerate(items):
            field = f"recognizers[{i}]"
            if not isinstance(item, dict) or not item.get("supported_entity"):
                raise RuleFileError("each recognizer needs 'supported_entity'", file=str(path),
                                    field=field)
            for j, pattern in enumerate(item.get("patterns") or []):
                try:
                    regex.compile(pattern["regex"])
                except (KeyError, TypeError, regex.error) as exc:
                    raise RuleFileError(f"bad pattern: {exc}", file=str(path),
                                        field=f"{field}.patterns[{j}]") from exc
            try:
                recognizers.append(PatternRecognizer.from_dict(
                    {"supported_language": "en", **item}))
            except (TypeError, ValueError) as exc:
                raise RuleFileError(str(exc), file=str(path), field=field) from exc
    return recognizers
