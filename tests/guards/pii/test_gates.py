"""Running recognisers on less of the text changes nothing found: the pattern reading that
says a recogniser is local or needs a digit, and gated recognisers compared with ungated
ones on generated texts full of PII-like pieces."""
from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.predefined_recognizers import (
    UkNinoRecognizer,
    UkPostcodeRecognizer,
)

from guardlayer.guards.pii import addresses, people
from guardlayer.guards.pii.gates import (
    _SPACES,
    View,
    gate_for,
    gated,
    is_line_local,
    is_local,
    lines_around,
    needs_digit,
)

PIECES = [
    "123-45-6789", "078-05-1120", "4111 1111 1111 1111", "4111-1111-1111-1111", "A1234567",
    "D12345678", "1234567890", "12345678901234", "GB29 NWBK 6016 1331 9268 19", "DE89370400440532013000",
    "192.168.0.1", "10.0.0.256", "fe80::1", "::1", "2001:db8::ff00:42:8329", "00:1A:2B:3C:4D:5E",
    "00-1a-2b-3c-4d-5e", "0A1b.2c3d.4E5f", "ab:cd", "123 45 6789", "123.45.6789", "912-71-1234",
    "912 71 1234", "401 023 2137", "4012-888888881881", "9127-11234", "1234-5678-9012-3456-789",
    "SW1A", "1AA", "GIR", "0AA", "M1\n1AE", "gir 0aa", "EC1A\t1BB", "W1", "9ZZ",
    "AB123456C", "AB 12 34 56 C", "QQ 12 34 56 C", "SW1A 1AA", "EC1A1BB", "1BoLtzkPRz5TRWiN3yAfPbtvb3BcD2XyVv",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "AB1234563", "2024-03-14", "3/14/2024",
    "14.03.2024", "JAN-2024", "https://example.com/a?b=1", "www.shop.co.uk", "mail@x.org",
    "e.g.", "Mr.Smith", "550e8400-e29b-41d4-a716-446655440000", "x1", "1st", "(555) 010-0100",
    "Lodskovvej 28", "Hauptstraße 5", "12 Baker Street", "Rue du Bac 110", "5 Am Ring",
    "Keizersgracht 12", "Spring 2021", "During", "Via Roma 3", "C/ Mayor 7", "ul. Długa 5",
    "'quoted.org'", '"x.com"', "a:b", "v1.2.3", "DL: X1234567", "#42", "passport", "driver",
    "X.COM", "a.b.c", ".com", "shop.ex", "\u212a.com", "e.\u017fe", "1.2", "4111\n1111 1111 1111",
    "١٢٣-٤٥-٦٧٨٩", "４１１１ １１１１ １１１１ １１１１", "123 45\n6789", "GB29", "gb29nwbk", "𝟙𝟚𝟛-45-6789",
]
SEPARATORS = [" ", "  ", "\n", "\t", ", ", ": ", "-", ".", "/", "", " \n "]


@st.composite
def pii_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(PIECES) | st.text(alphabet="aZ09 .:-/\n\t'", max_size=6),
                          max_size=8))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps))


def _changed_recognizers() -> list[tuple[object, object]]:
    """(plain, gated) pairs of every Presidio recogniser that `gated` changes."""
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    pairs = []
    for factory in [type(r) for r in registry.recognizers] + [UkNinoRecognizer, UkPostcodeRecognizer]:
        if factory.__name__ == "SpacyRecognizer":
            continue
        plain, maybe = factory(), gated(factory())
        if "analyze" in vars(maybe):  # gated replaced it
            pairs.append((plain, maybe))
    return pairs


PAIRS = _changed_recognizers()


def _found(recognizer: object, text: str) -> list[tuple[str, int, int, float]]:
    return sorted((r.entity_type, r.start, r.end, r.score) for r in recognizer.analyze(text, []))


def test_the_gates_cover_the_slow_recognisers() -> None:
    names = {plain.name for plain, _ in PAIRS}
    assert {"UsLicenseRecognizer", "MedicalLicenseRecognizer", "UsPassportRecognizer",
            "DateRecognizer", "UrlRecognizer", "IpRecognizer", "IbanRecognizer",
            "CreditCardRecognizer", "UsSsnRecognizer", "UkNinoRecognizer", "NhsRecognizer",
            "MacAddressRecognizer", "UsItinRecognizer", "UkPostcodeRecognizer"} <= names


@settings(max_examples=300, deadline=None)
@given(pii_texts())
def test_gated_recognisers_find_what_ungated_ones_find(text: str) -> None:
    for plain, local in PAIRS:
        assert _found(local, text) == _found(plain, text), plain.name


def test_gated_recognisers_do_find_things() -> None:
    text = " ".join(PIECES)
    assert sum(bool(_found(local, text)) for _, local in PAIRS) >= 6


def test_every_white_space_character_is_known() -> None:
    everything = "".join(map(chr, range(0x110000)))
    spaces = {c for c in everything if c.isspace()} | set(regex.findall(r"\s", everything))
    assert spaces == _SPACES


def _recognizer(*patterns: str, flags: int = regex.IGNORECASE) -> PatternRecognizer:
    return PatternRecognizer(supported_entity="X", global_regex_flags=flags,
                             patterns=[Pattern("p", p, 0.5) for p in patterns])


def test_reading_patterns() -> None:
    local = [r"\b[0-9]{9}\b", r"[^\s()<>]+\.com", r"[0-9a-f]{2}([:-])[0-9a-f]{2}\1", r"[]:]\d", r"(?<![\w:])\d+(?![\w:])", r"(a\d)\1", r"[A-Z]\d{3}"]
    spread = [r"\d{3} \d{2}", r"\d{3}[- ]\d{4}", r"^\d+", r"\d+$", r"\d.\d", r"[^a]\d",
              r"(?<=\s)\d", r"\d*", r"\d\W\d", r"\d\D", r"[\x00-\x7f]\d", r"\d(?x) \d",
              r"\d[[:space:]]\d"]
    assert all(is_local(_recognizer(p)) for p in local)
    assert not any(is_local(_recognizer(p)) for p in spread)
    assert not is_local(_recognizer(r"\p{L}\d"))  # unreadable here: assume the worst
    assert not is_local(PatternRecognizer(supported_entity="X", deny_list=["Bob"]))
    digits = [r"[A-Z]\d", r"(?:x[0-9])+", r"a1|b2", r"\d{1,3}"]
    others = [r"[A-Z0-9]+", r"a1|b", r"(?:x\d)*", r"[^a]", r"(?=\d)\w", r"\w+"]
    assert all(needs_digit(_recognizer(p)) for p in digits)
    assert not any(needs_digit(_recognizer(p)) for p in others)


def test_a_posix_class_is_told_from_a_class_that_starts_with_a_colon() -> None:
    from guardlayer.guards.pii.gates import _nests_a_set

    posix = [r"[[:alpha:]]\d", r"[^[:digit:]]", r"[a[:digit:]]", r"[\]][[:space:]]", r"[]x[:alpha:]]"]
    plain = [r"([:-])\d", r"[:alpha:]", r"[]:]", r"[^]:]", r"\[:alpha:]", r"[\[:]", r"[x]:[y]"]
    assert all(map(_nests_a_set, posix)) and not any(map(_nests_a_set, plain))
    assert is_local(_recognizer(r"[:alpha:]\d")) and not is_local(_recognizer(r"[[:alpha:]]\d"))


def test_reading_how_many_digits_a_match_needs() -> None:
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    from guardlayer.guards.pii.gates import min_digits

    cases = {r"\d{3}-\d{2}-\d{4}": 9, r"a1|b22": 1, r"(?:x[0-9]){2,}": 2, r"[0-9a]\d": 1,
             r"\d*": 0, r"(?:12)?3": 1, r"[^0-9]\d{2}": 2}
    assert {p: min_digits(_recognizer(p)) for p in cases} == cases
    assert min_digits(_recognizer(r"\d{4}", r"\d{2}")) == 2  # the fewest over all patterns
    assert min_digits(CreditCardRecognizer()) == 13


def test_reading_the_punctuation_a_match_needs() -> None:
    from guardlayer.guards.pii.gates import _needed_punctuation, _parse

    cases = {r"\d{2}/\d{2}": "/", r"\d[-.]\d": "-.", r"a-b|c:d": "-:", r"(?:x\.)+y": ".", r"\d-\d/\d": "-",
             r"a-?b": "", r"a-|b": "", r"[- ]\d": "", r"[^-]\d": "", r"(?:-)*\d": "", r"\d\W\d": "", r"a\\b": "\\",
             r"(?i)k-\d": "-", r"(?=-)\d": ""}
    read = {p: "".join(sorted(_needed_punctuation(_parse(p, regex.IGNORECASE)) or "")) for p in cases}
    assert read == cases


def test_narrowed_recognisers_leave_the_recogniser_as_it_was() -> None:
    from presidio_analyzer.predefined_recognizers import DateRecognizer

    plain, narrowed = DateRecognizer(), gated(DateRecognizer())
    patterns = list(narrowed.patterns)
    for text in ("1/2/2020", "2020-01-02", "1.2.2020", "1-JAN-2020 and 1/2/20", "x 12"):
        assert _found(narrowed, text) == _found(plain, text)
    assert _found(narrowed, "on 1/2/2020") and narrowed.patterns == patterns


def test_reading_patterns_that_stay_in_one_line() -> None:
    inside = [r"\d{3} \d{2}", r"\d{3}[- ]\d{4}", r"^\d+", r"\d+$", r"\b\d \d\b", r"(?<![\w ])\d"]
    across = [r"\d\s\d", r"\d.\d", r"\A\d", r"\d\Z", r"\d\D\d", r"(?<=\n)\d", r"(?<=[^a])\d",
              r"\d\n\d", r"\d*", r"\d[[:space:]]\d"]
    multiline = regex.IGNORECASE | regex.MULTILINE
    assert all(is_line_local(_recognizer(p, flags=multiline)) for p in inside)
    assert not any(is_line_local(_recognizer(p, flags=multiline)) for p in across)
    assert not is_line_local(_recognizer(r"^\d+", flags=regex.IGNORECASE))  # ^ is the text's start
    assert is_line_local(UkNinoRecognizer()) and not is_local(UkNinoRecognizer())


def test_reading_patterns_whose_matches_may_hold_one_line_break() -> None:
    from guardlayer.guards.pii.gates import is_line_pair_local

    pairs = [r"\d\s?\d", r"[A-Z]\s?\d", r"(?:a|b\s?)1", r"x\n?(?:1|2)", r"\b(?:GIR\s?0AA|[A-Z]\d\s\d)\b"]
    more = [r"\d\s?[A-Z]", r"\d\s\s\d", r"\d\s*\d", r"\d(?:\s?\d)+", r"(?:a|b\s?)c", r"\d\s?\d\s?\d",
            r"a.?1", r"x\s?(?=1)\w", r"^\d\s?\d", r"\d\s?\d$", r"(?<=\s)\d\s?\d"]
    assert all(is_line_pair_local(_recognizer(p)) for p in pairs)
    assert not any(is_line_pair_local(_recognizer(p)) for p in more)
    assert is_line_pair_local(UkPostcodeRecognizer()) and not is_line_local(UkPostcodeRecognizer())


def test_a_view_maps_back_to_the_text() -> None:
    text = "ab 12 cd\n34 ef"
    view = View(text, [(3, 5), (9, 11)])
    assert view.text == "12 34" and view.to_text(3, 5) == (9, 11) and view.to_text(0, 2) == (3, 5)
    lines = View(text, lines_around(text, [(4, 5), (13, 14)]), "\n")
    assert lines.text == text and lines.to_text(9, 11) == (9, 11)
    assert lines_around("a\nbc\nd", [(2, 3), (3, 4)]) == [(2, 4)]


def test_url_gate_is_the_recognisers_own() -> None:
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    assert gate_for(UrlRecognizer()).search("see shop.example.com")


STREETISH = ["Lodskovvej", "Hauptstraße", "Baker", "Street", "Rue", "du", "Bac", "Am", "Ring",
             "Keizersgracht", "Spring", "During", "Via", "Roma", "C/", "Mayor", "ul.", "Długa",
             "Apt.", "Suite", "Genterstrasse", "vei", "Storgata", "Strada", "Calle", "Mayor",
             "Postfach", "Boîte postale", "PSC", "BOX", "ste", "flat", "corner of", "and", "Address:",
             "zip code is", "Ship to:", "kids", "St.", "st", "AVE", "Rd", "Way", "\u212at", "Street5", "APO AE 09012"]


def _everywhere(monkeypatch) -> None:
    """Street patterns, units, streets in sentences and labels run on the whole text, whatever
    words it holds."""
    monkeypatch.setattr(addresses, "may_hold", lambda text, words: True)
    monkeypatch.setattr(addresses, "_STREET_WHERE", ((None, False, ()),) * len(addresses._STREETS))
    monkeypatch.setattr(addresses, "digit_view", lambda views, kind: View(views["text"], [(0, len(views["text"]))]))
    monkeypatch.setattr(addresses, "tried_at", lambda pattern, text, starts, timeout: pattern.finditer(
        text, timeout=timeout))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STREETISH) | st.from_regex(r"\d{1,5}[a-c]?", fullmatch=True)
                | st.sampled_from(["٣", "𝟙2", "FPO AP 12345", "USS Cole\n", "ApO", "P.O. Box", "Unit"]),
                max_size=10),
       st.lists(st.sampled_from([" ", "\n", ", ", "\t", " - ", "\n\n", " \r\n"]), min_size=10, max_size=10))
def test_street_patterns_on_gated_lines_find_what_they_find_everywhere(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    gated_spans = addresses.find_street_addresses(text)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _everywhere(monkeypatch)
        assert addresses.find_street_addresses(text) == gated_spans


def test_narrowed_street_patterns_still_find(monkeypatch) -> None:
    text = "USS Cole\nFPO AP 09512\nor 12 Baker Street, Apt 5, Lodskovvej 28 and 4 Rue du Bac"
    found = addresses.find_street_addresses(text)
    assert len(found) >= 3
    _everywhere(monkeypatch)
    assert addresses.find_street_addresses(text) == found


def test_every_character_that_matches_an_ascii_letter_without_case_is_seen() -> None:
    from guardlayer.guards.pii.gates import may_hold

    everything = "".join(map(chr, range(0x110000)))
    for char in set(regex.findall(r"(?i)[a-z]", everything)):
        assert char.isalpha()  # what `DotGate` asks of the letter after a dot
        for letter in "abcdefghijklmnopqrstuvwxyz":
            if regex.fullmatch(f"(?i){letter}", char):
                assert may_hold(f"x{char}y", (f"x{letter}y",)), hex(ord(char))
                assert people._fold(f"X{char}") == f"x{letter}", hex(ord(char))  # (tried at words)
    assert not may_hold("Apt 5", ("apo",))


CUES = ["My name is", "my name's", "I am called", "Call me", "her name is", "named", "Name:",
        "Patient?", "from:", "Dear", "Hi", "Hello", "Hey", "Regards,\n", "thanks,\n",
        "'s daughter", "’s friend", "s fiancée", "Anna", "Kent Jaworski", "O'Connor", "NAME",
        "ſt", "Smith", "and", "the"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CUES), max_size=8),
       st.lists(st.sampled_from([" ", "\n", ", ", ". ", ""]), min_size=8, max_size=8))
def test_name_cues_without_relations_change_nothing_where_none_can_be_named(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    if not people._may_name_a_relation(people.words_of(text)):
        assert [m.span("name") for m in people._CUED_NO_RELATION.finditer(text)] == [
            m.span("name") for m in people._CUED.finditer(text)]


TITLES_AND_PLACES = ["Dr.", "mr.", "MRS.", "Prof", "Sra", "Mx", "grew up in", "born in", "I'm in",
                     "Where:", "travelled to", "Paris", "ſincerely,\n", "İ am called", "SURNAME:",
                     "hisname is", "To?", "x_to:", "Hi_", "Dear", "DEAR", "Ms", "Kent", "Inc", "inc.",
                     "L.L.C.", "GmbH", "e.V.", "Acme", "INC", "Co", "S.p.A.", "ltd", "e-mail", "Acme L.L.C.",
                     "Acme S.p.A.", "Foo e.V.", "acme inc", "Acme Ltd", "my", "MY", "name", "NAME's", "I", "am",
                     "i'm", "m", "was", "born", "in", "up", "grew", "moved", "here", "to", "from", "place", "of",
                     "birth", "at", "arrived", "call", "me", "first", "sur", "travelling", "\u0130", "\u212ae",
                     "calls", "CALLED", "follow", "with", "speak", "spoke", "talk", "reach", "out", "touch",
                     "said", "Says", '"', "philipp", "name:", "van", "bin"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CUES + TITLES_AND_PLACES), max_size=8),
       st.lists(st.sampled_from([" ", "\n", ", ", ". ", "", "\t", ":"]), min_size=8, max_size=8))
def test_names_places_and_firms_tried_at_first_words_are_what_searches_find(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    finders = (people.find_names, people.find_places, people.find_organizations)
    found = [find(text) for find in finders]
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(people, "tried_at", lambda pattern, text, starts, timeout: pattern.finditer(
            text, timeout=timeout))
        assert [find(text) for find in finders] == found


def test_the_relation_cue_still_finds() -> None:
    assert people.find_names("I am Anna Smith’s fiancée. Kent's boss")[0][:2] == (5, 15)


def test_python_and_regex_white_space_differ_only_where_known() -> None:
    from guardlayer.guards.pii.gates import _PYTHON_ONLY_SPACES

    everything = "".join(map(chr, range(0x110000)))
    python_only = {c for c in everything if c.isspace()} - set(regex.findall(r"\s", everything))
    assert python_only == set(_PYTHON_ONLY_SPACES)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a1 \n\t.٣𝟙é\x1c\u2003-", max_size=30) | pii_texts()
       | st.lists(st.sampled_from(["a1", "1", "xa1", "a", "1a", "a1a", " ", "\n"])).map("".join))
def test_digit_stretches_hold_every_stretch_with_a_digit(text: str) -> None:
    from guardlayer.guards.pii.gates import _DIGIT_STRETCH, _digit_stretches

    plain = [m.span() for m in _DIGIT_STRETCH.finditer(text)]
    found = _digit_stretches(text)
    assert set(plain) <= set(found)
    if not any(c > "\uffff" for c in text):
        assert found == plain


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab.-C9 \n") + ["com", "ORG", "\u212a", "\u0130o", ".uk"]),
                max_size=30).map("".join) | pii_texts())
def test_the_url_gate_at_dots_finds_what_its_search_finds(text: str) -> None:
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    from guardlayer.guards.pii.gates import DotGate

    gate = gate_for(UrlRecognizer())
    assert isinstance(gate, DotGate)
    assert [m.span() for m in gate.finditer(text)] == [m.span() for m in gate.pattern.finditer(text)]


def test_trying_a_pattern_at_many_places_times_out() -> None:
    from guardlayer.guards.pii.gates import tried_at

    text = "a.com " * 20000
    with pytest.raises(TimeoutError):
        list(tried_at(regex.compile(r"a\.com"), text, range(0, len(text), 6), timeout=0.001))
    assert len(list(tried_at(regex.compile(r"a\.com"), text[:60], range(0, 60, 3)))) == 10



@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["SW1A", "1AA", "GIR", "0AA", "M1", "1AE", "x", "W", "9", "3rd", "sw1a",
                                 "1aa", "\n", " ", "\t", "\u2028", "\n\n", "\r\n"]), max_size=14))
def test_postcodes_across_lines_are_found_in_the_view_of_line_pairs(words: list[str]) -> None:
    text = "".join(words)
    plain, narrowed = UkPostcodeRecognizer(), gated(UkPostcodeRecognizer())
    assert _found(narrowed, text) == _found(plain, text)


def test_every_company_suffix_is_tried_where_it_stands(monkeypatch) -> None:
    suffixes = people._ORG_SUFFIXES + tuple(s.upper() for s in people._ORG_SUFFIXES_ANY_CASE)
    texts = [f"Acme {suffix}{end}" for suffix in suffixes for end in ("", ".", " x")]
    found = [people.find_organizations(text) for text in texts]
    assert sum(map(bool, found)) >= len(suffixes)
    monkeypatch.setattr(people, "tried_at", lambda pattern, text, starts, timeout: pattern.finditer(
        text, timeout=timeout))
    assert [people.find_organizations(text) for text in texts] == found



def test_case_folding_looks_at_one_character_at_a_time() -> None:
    everything = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    assert all(f"a{c}b".casefold() == f"a{c.casefold()}b" for c in everything)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Mr", "MR", "mr", "Dr", "\u0130", "\u0130nc", "inc", "INC", "Inc", "L",
                                 "Dear", "DEAR", "x", "ſ", "9"]), max_size=10),
       st.lists(st.sampled_from([" ", ".", "\n", "-", ""]), min_size=10, max_size=10))
def test_words_found_by_their_folded_form_are_those_a_scan_finds(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    first = people.FirstWords(("mr", "inc", "iinc"), ("Dear", "L", "İ"))
    scan = [m.start() for m in regex.finditer(r"\w+", text)
            if m.group() in first.exact or people._fold(m.group()) in first.folded]
    assert people.words_of(text).starts(first) == scan


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.@ \n\t\x1c", max_size=30), st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3))))
def test_stretches_are_looked_for_once_per_stretch(text: str, hits: list[tuple[int, int]]) -> None:
    from guardlayer.guards.pii.gates import merged, stretches_around

    spans = sorted((min(s, len(text)), min(s + n, len(text))) for s, n in hits)

    def stretch(s: int, e: int) -> tuple[int, int]:
        before = [m.end() for m in regex.finditer(r"\s", text[:s])]
        after = regex.compile(r"\s").search(text, e)
        return (before[-1] if before else 0), (after.start() if after else len(text))

    assert stretches_around(text, spans) == merged(stretch(s, e) for s, e in spans)


NAMEY = ["Kent", "Anna Smith", "Jr.", "Jr", "PhD", "Ph.D.", "M.D.", "MD", "M", "Esq.", ":", "Kalman:", "Date:",
         "Acme", "Inc", "GmbH", "L.L.C.", "acme", "inc", "'s", "’s", "daughter", "fiancé", "fiancée", "Dr.", "Dear",
         "Hi", "said", "\u212a", "x", "calls me", "philipp", '," says', "talk to",
         "MacAulay", "_Anna", "Élodie", "ǅemal", "9Kent"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(NAMEY), max_size=10),
       st.lists(st.sampled_from([" ", "\n", ", ", ": ", "", "\t", " \n "]), min_size=10, max_size=10))
def test_names_speakers_and_firms_looked_for_on_less_are_what_whole_text_searches_find(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    names = sorted([(m.start(), m.end(), 0.7) for m in people._TITLED.finditer(text)]
                   + [(m.start(), m.end(), 0.6) for m in people._DEGREE.finditer(text)]
                   + people.cued_names(people._CUED.finditer(text)))
    assert sorted(people.find_names(text)) == names
    speakers = [(m.start("name"), m.end("name"), 0.5) for m in people._SPEAKER.finditer(text)
                if m.group("name").split()[0].lower() not in people._LABELS]
    assert people.find_speakers(text) == (speakers if len(speakers) >= 2 else [])
    firms = [(m.start(), m.end(), 0.6) for m in people._ORG.finditer(text)] if people._ORG_HINT.search(text) else []
    assert people.find_organizations(text) == firms


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab:\n", max_size=20), st.lists(st.tuples(st.integers(0, 20), st.integers(0, 2))))
def test_lines_are_looked_for_once_per_line(text: str, hits: list[tuple[int, int]]) -> None:
    from guardlayer.guards.pii.gates import lines_holding, merged

    spans = sorted((min(s, len(text)), min(s + n, len(text))) for s, n in hits)

    def line(s: int, e: int) -> tuple[int, int]:
        end = text.find("\n", e)
        return text.rfind("\n", 0, s) + 1, len(text) if end < 0 else end

    assert lines_around(text, spans) == merged(line(s, e) for s, e in spans)
    colons = [(i, i + 1) for i, c in enumerate(text) if c == ":"]
    assert lines_holding(text, ":") == merged(line(s, e) for s, e in colons)


def test_words_that_start_a_cue_only_before_a_fixed_word_still_find(monkeypatch) -> None:
    names = ["My name is Anna", "MY NAME's Anna", "I am called Anna", "Call me Anna", "his name is Anna",
             "Sur name is Anna", "first name: Anna"]
    places = ["grew up in Paris", "was born in Paris", "I'm in Paris", "I am in Paris", "moved here from Paris",
              "moved to Paris", "originally from Paris", "travelling to Paris", "arrived at Paris",
              "place of birth: Paris", "Living in Paris"]
    countries = ["the Gambia", "THE BAHAMAS", "The Democratic Republic of Congo", "Saint Lucia"]
    found = ([people.find_names(f"x {t}.") for t in names] + [people.find_places(f"x {t}.") for t in places]
             + [people.find_countries(f"x {t}.") for t in countries])
    assert all(found)
    monkeypatch.setattr(people, "tried_at", lambda pattern, text, starts, timeout: pattern.finditer(
        text, timeout=timeout))
    assert found == ([people.find_names(f"x {t}.") for t in names] + [people.find_places(f"x {t}.") for t in places]
                     + [people.find_countries(f"x {t}.") for t in countries])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Kent", "Jaworski", "Kent Jaworski", "McKent", "Kents", "x", "-Kent", "Dr", "Anna"]),
                max_size=10),
       st.lists(st.sampled_from([" ", "\n", ", ", "  ", "'"]), min_size=10, max_size=10))
def test_repeated_names_looked_for_on_lines_with_a_name_are_what_a_whole_text_pass_finds(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    found = [(m.start(), m.end(), "PERSON") for m in regex.finditer(r"Kent Jaworski|Anna", text)][:1]
    names = {w for s, e, _ in found for w in people._NAME_WORD.findall(text, s, e) if w not in people.TITLES}
    taken = people._covered(len(text), [(s, e) for s, e, _ in found])
    out: list[tuple[int, int, str]] = []
    for m in people._NAME_WORD.finditer(text):
        if m.group() in names and taken.find(1, m.start(), m.end()) < 0:
            between = text[out[-1][1]:m.start()] if out else ""
            if between and not between.strip(" \t"):  # blanks between: one name
                out[-1] = (out[-1][0], m.end(), "PERSON")
            else:
                out.append((m.start(), m.end(), "PERSON"))
    assert people.repeated_names(text, found) == out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Saidali", "Elizabeth", "Anna", "Kent", "and", "or", "&", "x", "Bo"]), max_size=10),
       st.lists(st.sampled_from([", ", " ", "\n", ",\n", ","]), min_size=10, max_size=10))
def test_lists_looked_for_on_lines_with_a_comma_are_what_a_whole_text_pass_finds(words, seps) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    found = [(m.start(), m.end(), "PERSON") for m in regex.finditer(r"Anna|Kent", text)]
    people_mask = people._covered(len(text), [(s, e) for s, e, _ in found])
    out = []
    for m in people._LIST.finditer(text):
        items = [w.span() for w in people._LIST_ITEM.finditer(text, m.start(), m.end())]
        named = [people_mask.find(1, i, ie) >= 0 for i, ie in items]
        if 2 * sum(named) >= len(items):
            out += [(i, ie, "PERSON") for (i, ie), hit in zip(items, named) if not hit]
    assert people.listed_names(text, found) == out
