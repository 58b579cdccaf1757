"""Prefilter shortcuts (literal formula, windows around literal hits, shared text views) find
exactly the leftmost match that a plain search of the whole text finds."""
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardlayer.guards.injection.cues import COMPILED
from guardlayer.guards.injection.signatures import INDEXED, QUAD_AFTER, Prefilter, TextView, load_signatures, scan

SIGNATURES = load_signatures()
PATTERNS = [s.pattern for s in SIGNATURES] + [c.pattern for c in COMPILED] + [regex.compile(p) for p in (
    r"(?<=x)abc\b", r"\bend\b$", r"^start", r"ab(?=cd\b)", r"={3,} ?end", r"\S+@\S+\.com\b",
    r"alpha(?: \w+){0,40}? omega", r"(?:\w+ ){1,3}secret\b", r"\w+ing [a-z]+ secret", r"#{2,}\s?system", r"\bnote\b(?!s)[ :]+ai\b",
)]
PREFILTERS = [Prefilter.of(p.pattern, p.flags & regex.IGNORECASE) for p in PATTERNS]
# Words from the patterns' own literals make matches (and near misses) frequent.
WORDS = sorted({w for pf in PREFILTERS for lit in pf.gate + pf.starts for w in lit.split()} | {
    "x", "abc", "cd", "end", "start", "====", "#", "##", "alpha", "omega", "a@b.com", "note", "notes", "ai", "going", "hiding", "secret", "secrets",
    "\x1c", "\n", ":", "you", "the", "system", "zzzz"})
TEXTS = st.lists(st.sampled_from(WORDS), min_size=100, max_size=1500).map(" ".join)


def _spans(text: str) -> list[tuple[int, int, str] | None]:
    return [(m.start(), m.end(), m.group()) if m else None for m in
            (pf.search(p, text) for p, pf in zip(PATTERNS, PREFILTERS))]


def _plain(text: str) -> list[tuple[int, int, str] | None]:
    return [(m.start(), m.end(), m.group()) if m else None for m in (p.search(text) for p in PATTERNS)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_windowed_search_equals_full_search(text: str) -> None:
    assert _spans(text) == _plain(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.integers(min_value=0, max_value=3))
def test_long_texts_with_a_shared_view_equal_full_search(text: str, copies: int) -> None:
    long = (text + " ") * copies + "filler " * (INDEXED // 7 + 1) + text
    assert len(long) >= INDEXED
    assert _spans(long) == _plain(long)


def test_most_patterns_get_a_bounded_reach() -> None:
    assert sum(pf.reach is not None for pf in PREFILTERS) >= 0.8 * len(PREFILTERS)


def test_reach_counts_fixed_characters_and_whitespace_free_runs() -> None:
    assert Prefilter.of("abc").reach == (3, 0)
    assert Prefilter.of(r"a\w+b").reach == (2, 1)
    assert Prefilter.of(r"a(?: \w+){0,3}? b").reach == (6, 3)
    assert Prefilter.of(r"={3,}|ab").reach == (2, 1)
    assert Prefilter.of(r"x(?=abc)").reach == (4, 0)
    assert Prefilter.of(r"(?<=abc)x").reach == (1, 0)
    assert Prefilter.of(r"a.*b").reach is None
    assert Prefilter.of(r"a[^x]+b").reach is None
    assert Prefilter.of(r"a\s+b").reach is None


def test_sparse_literals_make_merged_windows_and_dense_ones_a_plain_search() -> None:
    pattern = regex.compile(r"\bignore (?:all )?previous rules\b")
    pre = Prefilter.of(pattern.pattern)
    sparse = ("filler " * 700 + "ignore previous ignore all previous rules ") * 3
    spans, margin = pre._windows(TextView(sparse))
    assert len(spans) == 3 and margin > len("ignore all previous rules")
    assert pre.search(pattern, sparse).span() == pattern.search(sparse).span()
    assert pre._windows(TextView("ignore " * 3000)) is None


def test_need_formula_rules_out_texts_the_gate_alone_would_let_through() -> None:
    pattern = regex.compile(r"</?(?:system|user)>")
    pre = Prefilter.of(pattern.pattern)
    assert pre.gate == ("system", "user")
    text = "the system and the user " * 400
    assert pre.search(pattern, text) is None
    assert pre.search(pattern, text + "<user>").span() == pattern.search(text + "<user>").span()


def test_longest_run_ignores_separators_that_regex_does_not_count_as_space() -> None:
    text = "word " * 1000 + "ab\x1ccd"
    assert TextView(text).longest_word == 5
    pattern = regex.compile(r"\S+cd")
    assert Prefilter.of(pattern.pattern).search(pattern, text).span() == pattern.search(text).span()


def test_scan_finds_a_match_longer_than_any_chunk_of_a_long_text(tmp_path) -> None:
    rule = tmp_path / "long.yaml"
    rule.write_text("signatures:\n  - id: long.span\n    category: hijack\n    weight: 0.5\n"
                    "    pattern: 'alpha(?: \\w+){0,400}? omega'\n")
    sig = load_signatures([rule], shipped=False)
    text = "word " * 4000 + "alpha " + "word " * 350 + "omega " + "word " * 1000
    hits = scan(sig, text)
    assert [(h.start, h.end) for h in hits] == [sig[0].pattern.search(text).span()]


_LATIN1 = "abcdefghijklmnopqrstuvwxyz .,;:!?0123456789éü"


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(_LATIN1), min_size=1000, max_size=3000) | st.text(alphabet=st.sampled_from("abc \u0100"), max_size=300),
       st.lists(st.text(alphabet=st.sampled_from(_LATIN1), min_size=5, max_size=12), min_size=QUAD_AFTER + 20,
                max_size=QUAD_AFTER + 60))
def test_a_text_view_has_exactly_the_literals_the_text_holds(text: str, literals: list[str]) -> None:
    # past QUAD_AFTER searches a Latin-1 text's quads rule literals out: never one that is there
    view = TextView(text)
    pieces = [text[i:i + 5 + i % 8] for i in range(0, len(text), 13)]  # at even and odd offsets
    for literal in [*literals, *pieces]:
        assert view.has(literal) == (literal in text), literal
