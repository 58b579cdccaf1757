"""Firms named like people ("Morgan Stanley", "Ralph Lauren") are organisations where the text
says so: a listed large firm, a firm's word after the name, "its" and a noun after it, "shares
of" before it; people stay people (a title, a cue, "it's" written "its", a possessive)."""
from __future__ import annotations

import importlib.util
import socket
import zipfile
from pathlib import Path

import pytest

from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.names import FIRMS_FILE, firms, is_firm, load_firms

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("build_firms", ROOT / "benchmarks" / "build_firms.py")
build_firms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_firms)  # type: ignore[union-attr]


def _guard(ner_guard: PIIGuard, regex_guard: PIIGuard, mode: str) -> PIIGuard:
    return ner_guard if mode == "ner" else regex_guard


def _found(guard: PIIGuard, text: str) -> list[tuple[str, str]]:
    """What the guard scrubs from ``text`` in a prompt: (value, kind), a possessive's "'s" left out."""
    return [(text[f.start:f.end].removesuffix("'s"), f.kind) for f in guard.check(text, Context()).findings]


@pytest.mark.parametrize("mode", ["ner", "regex"])
@pytest.mark.parametrize(("text", "firm"), [
    ("Morgan Stanley raised its forecast for the year.", "Morgan Stanley"),  # listed; "its forecast"
    ("Kimberly Kovačić said its profit rose.", "Kimberly Kovačić"),  # "its profit"
    ("Shares of Morgan Stanley fell sharply.", "Morgan Stanley"),
    ("Morgan Stanley Capital bought the bonds.", "Morgan Stanley Capital"),  # a firm's word after
    ("We wrote to Maria Lopez Foundation twice.", "Maria Lopez Foundation"),
])
def test_firms_named_like_people_are_organisations(ner_guard: PIIGuard, regex_guard: PIIGuard,
                                                   mode: str, text: str, firm: str) -> None:
    assert _found(_guard(ner_guard, regex_guard, mode), text) == [(firm, "ORGANIZATION")]


@pytest.mark.parametrize(("text", "firm"), [
    ("He wore a Ralph Lauren shirt to the party.", "Ralph Lauren"),  # listed
    ("Charles Schwab raised its dividend.", "Charles Schwab"),
    ("Morgan Stanley's shareholders voted.", "Morgan Stanley"),
])
def test_firms_spacy_takes_for_people_are_organisations(ner_guard: PIIGuard, text: str, firm: str) -> None:
    assert _found(ner_guard, text) == [(firm, "ORGANIZATION")]


def test_a_pseudonymised_prompt_names_the_firm_as_one(ner_guard: PIIGuard) -> None:
    fixed = ner_guard.check("Morgan Stanley said its profit rose.", Context()).fixed
    assert fixed == "<ORGANIZATION_1> said its profit rose."


@pytest.mark.parametrize("mode", ["ner", "regex"])
@pytest.mark.parametrize(("text", "person"), [
    ("Morgan Freeman narrated the film.", "Morgan Freeman"),
    ("I met Mr. Stanley Johnson yesterday.", "Mr. Stanley Johnson"),
    ("Anna Kowalski said its not a problem.", "Anna Kowalski"),  # "it's" written "its"
    ("Tina Alexandrov said its fine by her.", "Tina Alexandrov"),
    ("He holds shares in Tina Alexandrov's company.", "Tina Alexandrov"),  # her company's shares
    ("Contact: Anna Bank", "Anna Bank"),  # a surname that is a firm's word too
])
def test_people_stay_people(ner_guard: PIIGuard, regex_guard: PIIGuard, mode: str, text: str,
                            person: str) -> None:
    findings = _guard(ner_guard, regex_guard, mode).check(text, Context()).findings
    people = [text[f.start:f.end].removesuffix("'s") for f in findings if f.kind == "PERSON"]
    assert people == [person]
    assert not [f for f in findings if f.kind == "ORGANIZATION"]


def test_a_person_beside_a_firm_after_a_comma_stays_a_person(regex_guard: PIIGuard) -> None:
    text = "Anna Smith, Capital One's branch manager, called."
    findings = regex_guard.check(text, Context()).findings
    assert [(text[f.start:f.end], f.kind) for f in findings] == [("Anna Smith", "PERSON")]


@pytest.mark.parametrize(("text", "firm"), [
    ("Kowalczyk Voss said its revenue grew", True),
    ("Kowalczyk Voss and its partners", True),
    ("Kowalczyk Voss's chief executive resigned", True),
    ("a stake in Kowalczyk Voss", True),
    ("Kowalczyk Voss said its fine", False),  # an adjective after "its"
    ("Kowalczyk Voss said its been a while", False),  # a stop word
    ("Kowalczyk Voss took the dog to its vet", False),  # "its" too far
    ("Kowalczyk Voss said it would", False),
    ("I work at Kowalczyk Voss", False),  # "at" alone says nothing
])
def test_what_the_text_says_makes_a_name_a_firms(text: str, firm: bool) -> None:
    start = text.index("Kowalczyk")
    assert is_firm(text, start, start + len("Kowalczyk Voss")) is firm


def test_the_firms_list_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the firms list reached for the network")

    monkeypatch.setattr(socket, "socket", no_network)
    listed = load_firms()
    assert {"Morgan Stanley", "Ralph Lauren", "John Deere", "Charles Schwab"} <= listed
    assert "Morgan Freeman" not in listed and listed == firms()


@pytest.mark.parametrize(("edit", "message"), [
    (b"Morgan Stanlee", "firms list is corrupted .*reinstall guardlayer, or rebuild it with benchmarks/build_firms.py"),
    (None, "firms list cannot be read"),
])
def test_a_changed_or_missing_firms_list_fails_clearly(tmp_path: Path, edit: bytes | None, message: str) -> None:
    path = tmp_path / "firms.json"
    if edit is not None:
        path.write_bytes(FIRMS_FILE.read_bytes().replace(b"Morgan Stanley", edit, 1))
    with pytest.raises(ConfigError, match=message) as caught:
        load_firms(path)
    assert caught.value.where == str(path)


@pytest.mark.parametrize(("name", "short"), [
    ("The Walt Disney Company", "Walt Disney"),
    ("Eli Lilly and Company", "Eli Lilly"),
    ("Charles Schwab Corporation", "Charles Schwab"),
    ("Wiley (publisher)", None),  # one word
    ("Arthur J. Gallagher & Co.", None),  # an initial
])
def test_the_build_script_keeps_the_names_people_use(name: str, short: str | None) -> None:
    assert build_firms.short_name(name) == short


def test_the_build_script_reads_the_index_lists_as_data(tmp_path: Path) -> None:
    path = tmp_path / "pytickersymbols.whl"
    source = ('raise SystemExit("run")\nINDICES = {"X": {"companies": [{"name": "Morgan Stanley"}, '
              '{"name": "Ralph Lauren Corporation"}, {"name": "Goldman Sachs"}, {"name": "Apple"}]}}\n')
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(build_firms.DATA_MODULE, source)
    assert build_firms.firms_in(path) == ["Morgan Stanley", "Ralph Lauren"]  # "goldman": no given name


@pytest.mark.parametrize("mode", ["ner", "regex"])
def test_a_firm_named_again_is_still_a_firm(ner_guard: PIIGuard, regex_guard: PIIGuard, mode: str) -> None:
    text = "Kimberly Kovačić said its profit rose. Kimberly Kovačić also cut jobs."
    assert _found(_guard(ner_guard, regex_guard, mode), text) == [("Kimberly Kovačić", "ORGANIZATION")] * 2


@pytest.mark.parametrize("mode", ["ner", "regex"])
def test_a_listed_firm_after_a_weak_cue_is_still_a_firm(ner_guard: PIIGuard, regex_guard: PIIGuard,
                                                        mode: str) -> None:
    text = "Yesterday I met with Morgan Stanley about the bond sale."  # people and firms are met with
    assert _found(_guard(ner_guard, regex_guard, mode), text) == [("Morgan Stanley", "ORGANIZATION")]


def test_an_answer_naming_a_new_person_before_its_stays_flagged(ner_guard: PIIGuard) -> None:
    # on answers a person is never taken for a firm: a new name there stays personal data
    # (NER: the names lists read prompts only)
    guard = ner_guard
    text = "Kelly Brown fixed its engine last week."
    verdict = guard.check(text, Context(side="output"))
    assert [(text[f.start:f.end], f.kind) for f in verdict.findings] == [("Kelly Brown", "PERSON")]
    assert not verdict.passed


@pytest.mark.parametrize("mode", ["ner", "regex"])
@pytest.mark.parametrize(("text", "expected"), [
    ("Write to Johnson Controls.", "Write to <ORGANIZATION_1>."),
    ("I drive for General Motors. Next?", "I drive for <ORGANIZATION_1>. Next?"),
    ("We paid Acme Inc. today", "We paid <ORGANIZATION_1> today"),
])
def test_a_sentence_s_full_stop_stays_outside_the_firm(ner_guard: PIIGuard, regex_guard: PIIGuard, mode: str,
                                                        text: str, expected: str) -> None:
    # a firm's word ends its name, the stop ends the sentence; an abbreviated suffix keeps its dot
    assert _guard(ner_guard, regex_guard, mode).check(text, Context()).fixed == expected
