"""People found by the names lists (US Census given names and surnames): beside a surname, in
lower case, after a cue whose surname is a word, where spaCy guessed a firm or a place; given
names that are words ("Will", "Grace") need more; the lists load offline and fail loudly."""
from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from guardlayer.context import Context
from guardlayer.errors import ConfigError
from guardlayer.guards.pii import PIIGuard
from guardlayer.guards.pii.names import NAMES_FILE, find_given_names, load_names


def _people(guard: PIIGuard, text: str) -> list[str]:
    return [text[f.start:f.end] for f in guard.check(text, Context()).findings if f.kind == "PERSON"]


@pytest.mark.parametrize(("text", "name"), [
    ("Contact: Anna Board", "Anna Board"),  # a cue, and a surname that names a group
    ("have you been to a david lange concert before?", "david lange"),  # lower case
    ("i want to add julie novák as a beneficiary to my account", "julie novák"),
    ("Why is Alena so impulsive?", "Alena"),  # spaCy: an organisation
    (">Ashley Belov\n>Mclaughlin Ltd.\n>Tina Alexandrov\n>18 15 Millicent Drive", "Tina Alexandrov"),
    ("The Megan Liberšar version recorded for Crowdana", "Megan Liberšar"),  # spaCy: a place
])
def test_names_the_lists_know_are_people(ner_guard: PIIGuard, text: str, name: str) -> None:
    assert name in _people(ner_guard, text)


def test_the_regex_mode_finds_a_given_name_and_a_surname(regex_guard: PIIGuard) -> None:
    text = "Tina Alexandrov wrote from tina@example.com; so did julie novák."
    assert _people(regex_guard, text) == ["Tina Alexandrov", "julie novák"]


@pytest.mark.parametrize(("text", "found"), [
    ("Will you mark the page?", []),
    ("I hope Grace Hopper's book is on the list.", ["Grace Hopper"]),  # not "hope"
    ("Grace Hopper wrote it.", []),  # a word-name where a sentence starts: more evidence needed
    ("The Princess Royal arrived at noon.", []),  # a word-name before an adjective
    ("We drove to Virginia Beach in June.", []),  # a place's word after the given name
    ("Visit New Jersey Devils games.", []),  # capitalised words around the pair
    ("set max speed to 10 and song recommender on; mi correo", []),  # lower case: words, rare names
    ("Email j.smith or mary_jones about Anna-Lena", []),  # parts of longer tokens
])
def test_words_that_are_given_names_need_more(text: str, found: list[str]) -> None:
    assert [text[s:e] for s, e, _ in find_given_names(text)] == found


def test_common_words_are_no_people_in_ordinary_sentences(ner_guard: PIIGuard) -> None:
    text = "Will you mark the page? I hope Grace Hopper's book is on the list. Why is Alena so impulsive?"
    assert [n.removesuffix("'s") for n in _people(ner_guard, text)] == ["Grace Hopper", "Alena"]


def test_the_lists_load_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the names lists reached for the network")

    monkeypatch.setattr(socket, "socket", no_network)
    names = load_names()
    assert {"anna", "julie", "tina"} <= names.given and "will" in names.given_words
    assert {"smith", "lange"} <= names.surnames and "julie" in names.frequent


def test_a_corrupted_list_fails_with_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "names.json"
    shutil.copy(NAMES_FILE, broken)
    broken.write_bytes(broken.read_bytes().replace(b'"anna"', b'"anne"', 1))
    with pytest.raises(ConfigError, match="names list is corrupted .*reinstall guardlayer") as caught:
        load_names(broken)
    assert caught.value.where == str(broken)


def test_a_missing_list_fails_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="names list cannot be read"):
        load_names(tmp_path / "names.json")
