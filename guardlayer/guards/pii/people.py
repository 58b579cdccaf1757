"""Names, places and organisations that a small NER model misses, found from their form:

- a title before a name: ``Dr. Kent Jaworski``, ``Mrs Grimes``, ``mr. freeman`` (the title
  is part of the span, so the scrubbed text does not keep it next to a placeholder);
- a name after a cue: ``My name is Tempeste``, ``Name: Allen Akhtakhanov``, ``cc: Anh Pham``,
  ``Prepared by: Anna Field``, ``Dear Anna``, ``Jane's daughter``, ``Regards,\\nJohn Smith``,
  ``everyone calls me Sandro``, ``follow up with Madison Boyes``, ``"Not yet," said Keiko``,
  or before a degree: ``Margaret Ćosić PhD``; with particles (``Donald van der Voet``);
- two capitalised words joined by a name's particle: ``Sophie van den Broek``, ``Karim bin Talal``;
- two or three capitalised words that are no English words before a verb of what people do:
  ``Mehmet Yılmaz reported the outage`` (not ``Project Apollo reported``);
- the speakers of a transcript: ``Kalman: "Who are you?"`` / ``Jordan: "I'm Mary's
  daughter"`` (two or more lines that start with a capitalised name and a colon; field labels
  such as ``Date:`` or ``User:`` are not names);
- a place after a cue: ``grew up in TRÄSLÖVSLÄGE``, ``moved here from Paterna del Madera``,
  ``Where: SAINT-PRIEST``;
- an organisation with a legal or institutional suffix: ``Smith Ltd.``, ``Logixdata LLC``,
  ``Acme Holdings GmbH``, ``Amida Technology Solutions Inc``, ``Goldman Sachs & Co``, or a word
  of its kind: ``Morgan Stanley Capital``, ``Johnson Controls``, ``Maria Lopez Foundation``.

They run in the regex-only mode too, which otherwise finds no names at all. Given what was
found, `repeated_names` and `listed_names` add the people a text names again ("Jaworski" after
"Kent Jaworski", "JOHN SMITH" after "John Smith") or lists beside other people,
`given_names_before` the first name NER left before a surname ("Customer Priya Raghunathan")
and `with_particles` the rest of a name NER cut at a particle ("Donald van der Voet").
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import regex

from ...guard import REGEX_TIMEOUT
from ...timed_regex import TimedPattern, timed_compile
from .gates import View, lines_around, lines_holding, merged, tried_at
from .labelled import names_no_one


def trie(words: Iterable[str]) -> str:
    """A pattern for ``words`` as a letter tree: one branch per step instead of a try per word
    (25x faster than an alternation of 700 names), longest word first."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:  # type: ignore[type-arg]
        branches = [regex.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree)


_WORDS = timed_compile(r"(?:\W*+(\w++))*+\W*+")  # every word (\w+), in one match
_FIRST_WORD = timed_compile(r"\w+")


def _fold(word: str) -> str:
    """``word`` case-folded: each character that a case-insensitive pattern matches with an
    ASCII letter becomes that letter (the capital I with a dot too, its dot dropped; a test
    checks), so a word such a pattern matches with ``w`` folds to ``w``."""
    return word.casefold().replace("i\u0307", "i")


class FirstWords:
    """The words that can start a pattern's match: those that fold (`_fold`) to one of
    ``folded``, and those written as one of ``exact``; a word that ``then`` lists starts one only
    before a word listed with it (both compared folded): "my" before "name" in "my name is"."""

    def __init__(self, folded: Iterable[str], exact: Iterable[str] = (),
                 then: dict[str, Iterable[str]] | None = None) -> None:
        self.folded, self.exact = frozenset(folded), frozenset(exact)
        self.keys = self.folded | frozenset(map(_fold, self.exact))
        self.then: dict[str, frozenset[str]] = {}
        for word, nexts in (then or {}).items():
            self.then[_fold(word)] = self.then.get(_fold(word), frozenset()) | frozenset(map(_fold, nexts))


class Words:
    """Every word (``\\w+``) of a text and where each starts, with an index of the words by
    their folded form: made once per call and shared by the finders (`words_of`)."""

    def __init__(self, words: list[str], starts: list[int]) -> None:
        self.words, self._starts = words, starts
        # Folded all at once: case folding looks at one character at a time (a test checks).
        self._folded = _fold("\x00".join(self.words)).split("\x00") + [""]  # ("": no next word)
        self._index: dict[str, list[int]] = {}
        for i, key in enumerate(self._folded[:-1]):
            self._index.setdefault(key, []).append(i)

    def starts(self, first: FirstWords) -> list[int]:
        """Where the words that ``first`` lists start, in order."""
        return [self._starts[i] for i in self.indexes(first)]

    def indexes(self, first: FirstWords) -> list[int]:
        """The indexes of the words that ``first`` lists, in order."""
        found: list[int] = []
        for key in first.keys.intersection(self._index):
            at = self._index[key]
            if key not in first.folded:
                at = [i for i in at if self.words[i] in first.exact]
            if key in first.then:
                at = [i for i in at if self._folded[i + 1] in first.then[key]]
            found += at
        return sorted(found)

    def capitalised(self) -> list[int]:
        """Where the words start whose first character may be a capital letter (is no lower-case
        letter, digit or underscore)."""
        return [s for w, s in zip(self.words, self._starts) if not (w[0].islower() or w[0].isdigit() or w[0] == "_")]

    def starts_at(self, i: int) -> int:
        """Where word ``i`` starts."""
        return self._starts[i]

    def capitalised_before(self, i: int, text: str, joins: str = " \t") -> bool:
        """Is word ``i - 1`` of ``text`` capitalised, with only ``joins`` between it and word ``i``?"""
        if i == 0 or not self.words[i - 1][:1].isupper():
            return False
        between = text[self._starts[i - 1] + len(self.words[i - 1]):self._starts[i]]
        return bool(between) and not between.strip(joins)


def words_of(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None) -> Words:
    """The `Words` of ``text``, found in one match; kept in ``views`` (a dict made for this call,
    see `gates.call_views`) for the next finder."""
    if views is not None and _WORDS in views:
        return views[_WORDS]
    m = _WORDS.fullmatch(text, timeout=timeout)
    words = Words(m.captures(1), m.starts(1))
    if views is not None:
        share_words(views, words)
    return words


def share_words(views: dict[Any, Any], words: Words) -> None:
    """Keep ``words`` (those of the call's text, found elsewhere) in the call's ``views``."""
    views[_WORDS] = words


_CAPWORD = (r"(?:(?:Mc|Mac|Fitz|De|Di|La|Le)\p{Lu}\p{Ll}+"  # McCathie, DeRose
            r"|\p{Lu}\p{Ll}+(?:['’\-]\p{L}\p{Ll}+)*|\p{Lu}['’]\p{Lu}\p{Ll}+)")  # Anne-Marie, O'Connor
_PARTICLES = "van von der den de del della di da du dos das le la bin ibn al el ter ten".split()
_PARTICLE = f"(?:{'|'.join(_PARTICLES)})"
"""Lower-case words inside a name: "Donald van der Voet", "Maria de la Cruz", "Osama bin Laden"."""
_NAME = rf"{_CAPWORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_CAPWORD}){{0,2}}"  # 1 to 3 capitalised words (not "Jane's")
_LOOSE = r"\p{Ll}[\p{L}'’\-]+(?:[ \t]+\p{Ll}[\p{L}'’\-]+)?"
"""A name written in lower case ("call me philipp", "name: heather pustivšek"): kept up to
its last word that is no English word, and only when it has one."""
TITLES = frozenset("Mr Mrs Ms Miss Mx Dr Prof Sir Dame Lady Lord Rev Fr Capt Col Gen Sgt Lt Hon Judge "
                    "Herr Frau Mme Mlle Sr Sra Srta Dott Ing".split())
"""Titles before a name ("Mr", "Dr", "Frau"), written without their dot."""
_TITLE = f"(?:{trie(TITLES)})"
_NOT_UNIT = r"(?!(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Room|Bldg|Building)\b)"
_TITLED = timed_compile(  # "Dr. Megan Sato Apt. 5": the name stops before the unit
    rf"\b{_TITLE}\.?[ \t]+{_NOT_UNIT}{_CAPWORD}(?:[ \t]+{_NOT_UNIT}{_CAPWORD}){{0,2}}"  # Dr. Kent Jaworski
    rf"|\b(?i:mr|mrs|ms|dr|prof)\.[ \t]+\p{{L}}[\p{{L}}'’\-]+\b")      # mr. freeman
_TITLED_FIRST = FirstWords(("mr", "mrs", "ms", "dr", "prof"), TITLES)
"""The first word of every match of `_TITLED` is a title (as written) or folds to one of these:
a match starts where a word does, and the title is that whole word (a dot or a space follows)."""
_NOT_NAMES = frozenset(
    "there all everyone everybody team sir madam world guys folks friend friends again so very "
    "for much you me it this that the a an and or is was i we they he she my our your their "
    "not no yes ok okay just here now then company team client customer manager owner firm "
    "bank department group family user doctor teacher patient".split())
_RELATIONS = ("daughter son mother father mom mum dad wife husband brother sister partner girlfriend "
              "boyfriend fiancé cousin aunt uncle grandmother grandfather boss colleague friend "
              "neighbour neighbor").split()
_BY = ("prepared approved reviewed submitted requested reported written authorised authorized "
       "witnessed escalated").split()
"""What people do to a document, before "by:" ("Prepared by: Anna Field"; "signed", a cue
of its own, too)."""
_CUE_WAYS = (  # the ways a name is cued, tried in this order
    (r"\b(?i:my[ \t]+name[ \t]+is|my[ \t]+name's|i[ \t]+am[ \t]+called)[ \t]+"
     r"(?P<name>\p{L}[\p{L}'’\-]+(?:[ \t]+\p{Lu}[\p{L}'’\-]+)?)"),
    rf"\b(?i:call(?:s|ed)?[ \t]+me)[ \t]+(?:(?P<name>{_NAME})|(?P<loose>{_LOOSE}))",
    (rf"\b(?i:follow(?:ing|ed)?[ \t]+up[ \t]+with|(?:speak(?:ing)?|spoke|talk(?:ing|ed)?)[ \t]+(?:to|with)"
     rf"|(?:meet(?:ing)?|met)[ \t]+with|reach(?:ing|ed)?[ \t]+out[ \t]+to|in[ \t]+touch[ \t]+with)[ \t]+"
     rf"(?:(?P<unsure>{_NAME})|(?P<loose>{_LOOSE}))"),
    (rf"\b(?i:said|says|asked|replied|wrote|added)(?<=(?:[,!?][\"”'’]?|[\"”'’])[ \t]+\w+)[ \t]+"
     rf"(?:(?P<name>{_NAME})|(?P<loose>{_LOOSE}))"),
    (rf"\b(?i:(?:his|her|their|your|maiden|first|last|full|sur)[ \t]*name[ \t]+is|named)[ \t]+"
     rf"(?P<name>{_NAME})"),
    (rf"\b(?i:(?:full[ \t]+|first[ \t]+|last[ \t]+|sur)?name|patient|customer|employee|contact(?:[ \t]+person)?"
     rf"|attn|signed|from|to|cc|bcc|owner|author|assignee|reporter|requester|approver|reviewer|assigned[ \t]+to"
     rf"|(?:{'|'.join(_BY)}|signed)[ \t]+by)[ \t]*[:?][ \t]*(?P<name>{_NAME})"),
    rf"\b(?i:(?:full[ \t]+|first[ \t]+|last[ \t]+|sur)?name)[ \t]*[:?][ \t]*(?P<loose>{_LOOSE})",
    rf"\b(?:Dear|Hi|Hello|Hey)[ \t]+(?P<name>{_NAME})",
    rf"\b(?i:regards|sincerely|cheers|thanks|best|yours)[ \t]*,[ \t]*\n[ \t]*(?P<name>{_NAME})",
)
_TALKED = {**dict.fromkeys("follow following followed".split(), ("up",)),
           **dict.fromkeys("speak speaking spoke talk talking talked".split(), ("to", "with")),
           **dict.fromkeys("meet meeting met".split(), ("with",)),
           **dict.fromkeys("reach reaching reached".split(), ("out",)), "in": ("touch",)}
"""The first words of "follow up with", "speak to", "reach out to", "in touch with"..., each with
the word after it (a name after them is kept when one of its words is no English word: "talk
to Customer Service" is no one)."""
_SAID = "said says asked replied wrote added".split()
"""Verbs of a quote's attribution: '"Not yet," said Keiko.'"""
_CUE_FIRST = FirstWords(frozenset(
    "my i call calls called his her their your maiden first last full sur named name patient customer "
    "employee contact attn signed from to cc bcc regards sincerely cheers thanks best yours owner author "
    "assignee reporter requester approver reviewer assigned".split() + _BY + [*_TALKED] + _SAID) | frozenset(
    f"{w}name" for w in "his her their your maiden first last full sur".split()),  # "surname"
    ("Dear", "Hi", "Hello", "Hey"),
    {"my": ["name"], "i": ["am"], "call": ["me"], "calls": ["me"], "called": ["me"], "assigned": ["to"],
     **dict.fromkeys(_BY, ("by",)), **_TALKED,
     **dict.fromkeys("his her their your maiden first last full sur".split(), ("name",))})
"""The first word of every match of a cue in `_CUE_WAYS`, folded (or as written: the greetings
are matched with case): each way starts at a word with one of these, which a space, a colon,
a question mark, a comma or "name" ends; where blanks end it, the next word is fixed ("my
name", "i am", "call me", "first name", "speak to"; a quote's "said" stands alone)."""
_RELATION = rf"['’]s[ \t]+(?:{'|'.join(_RELATIONS).replace('é', 'ée?')})\b"  # "'s daughter"
_RELATION_WAY = rf"\b(?P<name>{_NAME})(?={_RELATION})"
_RELATION_WORDS = FirstWords((), ["s"], {"s": [*_RELATIONS, "fiancée"]})
"""Two whole words in every "'s <relation>": an "s" after an apostrophe, then the relation."""
_CUE_END = r"(?=[ \t]*(?:[,.!?;:)<(\[\n'’]|$|[ \t]\p{Ll}))"  # (an address or a role may follow: "<a@b.c>")
_CUED = timed_compile("(?:" + "|".join((*_CUE_WAYS, _RELATION_WAY)) + ")" + _CUE_END, regex.VERSION0)
_CUED_NO_RELATION = timed_compile("(?:" + "|".join(_CUE_WAYS) + ")" + _CUE_END, regex.VERSION0)
"""The cues without "Jane's daughter", the slowest way (a third of the time): used when the
text holds no "'s <relation>", so that way cannot match and changes nothing."""


_DEGREE = timed_compile(
    rf"\b{_NAME},?[ \t]+(?:PhD|Ph\.D\.|MD|M\.D\.|DDS|DVM|DMD|Esq\.?|MBA|CPA|RN|Jr\.|Sr\.)(?!\w)")
_DEGREE_WORDS = FirstWords((), "PhD Ph MD M DDS DVM DMD Esq MBA CPA RN Jr Sr".split())
"""The first word of the degree in every `_DEGREE` match, as written (blanks before it, a dot or
no word character after it)."""
_PLACE_FIRST = FirstWords(
    "grew was born live lives lived living moved based i originally trip travel traveled travelled "
    "traveling travelling coming arrived where location city town venue place".split(), (), {
        "grew": ["up"], "was": ["born"], "moved": ["here", "from", "to"], "i": ["am", "m"],
        "originally": ["from"], "arrived": ["at", "in"], "place": ["of"],
        **dict.fromkeys("born live lives lived living based".split(), ("in",)),
        **dict.fromkeys("trip travel traveled travelled traveling travelling coming".split(), ("to",))})
"""The first word of every `_PLACE_CUE` match, folded: each cue starts with a whole word, and
the next word is fixed ("grew up", "I'm in") but after "where", "location"... (a colon)."""
_PLACE_CUE = timed_compile(
    r"\b(?i:grew[ \t]+up[ \t]+in|(?:was[ \t]+)?born[ \t]+in|li(?:ve|ves|ved|ving)[ \t]+in"
    r"|moved[ \t]+(?:here[ \t]+)?(?:from|to)|based[ \t]+in|(?:I[ \t]+am|I'm)[ \t]+in"
    r"|originally[ \t]+from|(?:trip|travel(?:l?ed|l?ing)?|coming)[ \t]+to|arrived[ \t]+(?:at|in)"
    r"|(?:where|location|city|town|venue|place[ \t]of[ \t]birth)[ \t]*:)"
    r"[ \t]+(?P<place>\p{Lu}[\p{L}'’\-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’\-]*|\d{1,2}\b"
    r"|(?:de|di|del|da|do|du|la|le|nad|pod|am|an|der|sur|en|and|of)(?=[ \t]+\p{Lu}))){0,4})")
_ORG_SUFFIXES = ("Inc", "LLC", "L.L.C.", "Ltd", "Limited", "GmbH", "AG", "S.A.", "SAS", "SARL", "PLC",
                 "plc", "Corp", "Corporation", "Co", "Company", "Group", "Holdings", "Associates",
                 "Partners", "LLP", "B.V.", "BV", "N.V.", "NV", "Pty", "S.r.l.", "SRL", "S.p.A.", "SpA",
                 "Oy", "ApS", "KG", "KGaA", "e.V.", "Incorporated")
_ORG_SUFFIX = f"(?:{'|'.join(map(regex.escape, _ORG_SUFFIXES))})"
_ORG_ABBREVIATED = "(?:Inc|Ltd|Corp|Co|Pty)"
"""Suffixes written with a dot ("Acme Ltd."): the dot is the name's; after any other suffix or a
firm's word ("Johnson Controls.") it ends the sentence."""
_ORG_KINDS = ("Bancorp", "Capital", "Controls", "Motors", "Foundation", "University", "Industries",
              "Technologies", "Laboratories", "Pharmaceuticals", "Airlines", "Enterprises", "Investments",
              "Securities", "Ventures", "Insurance")
"""Words of a firm's or an institution's kind that end its name ("Morgan Stanley Capital", "Johnson
Controls", "General Motors", "Maria Lopez Foundation"): after a name, never after a comma ("Anna
Smith, Capital One" is a person and a firm). Not "Bank", a surname in the Census lists
(`names`): "Contact: Anna Bank" is a person."""
_ORG_SUFFIXES_ANY_CASE = ("inc", "llc", "ltd", "gmbh", "plc", "corp", "incorporated")
_ORG_HINT = timed_compile(  # the same words as letter trees, 3x faster
    rf"\b(?:{trie(_ORG_SUFFIXES + _ORG_KINDS)}|(?i:{trie(_ORG_SUFFIXES_ANY_CASE)}))(?:\.|\b|(?<=\.))")
_ORG_HINT_FIRST = FirstWords(_ORG_SUFFIXES_ANY_CASE, (
    _FIRST_WORD.match(s, timeout=REGEX_TIMEOUT).group() for s in _ORG_SUFFIXES + _ORG_KINDS))
"""The first word of every `_ORG_HINT` match is one of the suffixes' first words ("L" of
"L.L.C.") or folds to one of the suffixes written in any case: a dot or a word boundary ends it."""
_ORG = timed_compile(
    rf"\b(?:[\p{{Lu}}\d][\p{{L}}\d&'’\-]*[ \t]+(?:(?:and|&|of|for|the)[ \t]+)?){{0,4}}"
    rf"\p{{Lu}}[\p{{L}}\d&'’\-]*(?:,?[ \t]+(?:&[ \t]+)?(?:{_ORG_ABBREVIATED}\.?|{_ORG_SUFFIX})(?:\b|(?<=\.))"
    rf"|[ \t]+(?:{'|'.join(_ORG_KINDS)})\b)"
    rf"|\b\p{{Ll}}[\p{{Ll}}\d&'’\-]+[ \t]+(?:{'|'.join(_ORG_SUFFIXES_ANY_CASE)})\b")  # lower case


def _may_name_a_relation(words: Words) -> bool:
    return bool(words.starts(_RELATION_WORDS))


def find_names(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
               ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of names after a title (0.7), a cue or before a degree (0.6).
    Titles and cues are tried only where a word that can start them does (`tried_at`: a
    search tries all their words at every character); "Jane's daughter" at capitalised words."""
    words = words_of(text, timeout, views)
    titled = tried_at(_TITLED, text, words.starts(_TITLED_FIRST), timeout)
    spans = [(m.start(), m.end(), 0.7) for m in titled]
    if words.starts(_DEGREE_WORDS):
        spans += [(m.start(), m.end(), 0.6) for m in _DEGREE.finditer(text, timeout=timeout)]
    cued = tried_at(_CUED, text, sorted({*words.starts(_CUE_FIRST), *words.capitalised()}), timeout) if (
        _may_name_a_relation(words)) else tried_at(_CUED_NO_RELATION, text, words.starts(_CUE_FIRST), timeout)
    return spans + cued_names(cued) + _actors(text, words, timeout) + _named_with_particles(text, words, timeout)


def cued_names(matches: Iterable[regex.Match[str]]) -> list[tuple[int, int, float]]:
    """``(start, end, 0.6)`` of the names that matches of `_CUED` find and keep (`_kept`)."""
    spans = []
    for m in matches:
        group = next(g for g in ("name", "unsure", "loose") if m.group(g))
        end = m.start(group) + _kept(group, m.group(group))
        if end > m.start(group):
            spans.append((m.start(group), end, 0.6))
    return spans


_NAME_PARTICLES = FirstWords((), "van von bin ibn ter ten".split())
"""Particles that stand inside people's names, not places' ("de", "del", "la" do: "Rio de
Janeiro", "Costa del Sol")."""
_WITH_PARTICLES = timed_compile(
    rf"{_CAPWORD}[ \t]+(?:van|von|bin|ibn|ter|ten)(?:[ \t]+(?:der|den|de|het))?[ \t]+{_CAPWORD}(?!\w)")


def _named_with_particles(text: str, words: Words, timeout: float) -> list[tuple[int, int, float]]:
    """``(start, end, 0.6)`` of a capitalised word, a name's particle and another capitalised word:
    "Sophie van den Broek", "Karim bin Talal" (looked for at each such particle)."""
    spans = []
    for i in words.indexes(_NAME_PARTICLES):
        m = _WITH_PARTICLES.match(text, words.starts_at(i - 1), timeout=timeout) if words.capitalised_before(
            i, text) else None
        if m:
            spans.append((m.start(), m.end(), 0.6))
    return spans


def _kept(group: str, name: str) -> int:
    """How much of a name found after a cue (in its ``group``: see `_CUE_WAYS`) is a person's
    (0: none). One in lower case up to its last word that is no English word, nor any of its
    forms ("call me back", "asked questions", "call me when you're here": none); one after a cue that names groups and
    firms too ("talk to Customer Service", "met with Microsoft") only when it has two words or
    more, one of them not an English word as written (so "Boyes" counts, though "boy" is one)."""
    known = english_words()
    words = name.split()
    if group == "loose":
        while words and (is_english(words[-1].replace("’", "'").split("'")[0], known) or words[-1] in _NOT_NAMES):
            words.pop()
        return name.index(words[-1]) + len(words[-1]) if words else 0
    kept = is_cued_name(name) and (group == "name" or len(words) > 1 and not all(
        w.lower() in known for w in words))
    return len(name) if kept else 0


_ACTS = frozenset((
    "said says told tells asked asks reported reports wrote writes called calls emailed phoned "
    "texted replied responded complained confirmed requested explained mentioned noted signed "
    "agreed approved joined visited arrived paid ordered booked bought sent received submitted met "
    "lives lived works worked filed will was is has had").split())
"""Verbs of people after their name ("Mehmet Yılmaz reported the outage")."""
_ACTS_FIRST = FirstWords(_ACTS)
_PLAIN_CAPWORD = r"\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?"  # not "GitHub", "OpenAI"
_BEFORE_ACT = timed_compile(rf"(?<![\p{{L}}\d'’\-.@/_]){_PLAIN_CAPWORD}(?:[ \t]+{_PLAIN_CAPWORD}){{1,2}}[ \t]+\Z")


def _actors(text: str, words: Words, timeout: float) -> list[tuple[int, int, float]]:
    """``(start, end, 0.5)`` of two or three capitalised words before a verb of what people do
    (`_ACTS`), none of them an English word (`english_words`: "Project Apollo reported" is
    not a name), a country or a word that says what a name is not: names NER may not know
    ("Mehmet Yılmaz reported", anywhere in a sentence). A leading English word is left out
    ("When Lucian Smith said")."""
    acts = [words.starts_at(i) for i in words.indexes(_ACTS_FIRST)  # (two capitalised words before)
            if words.capitalised_before(i, text) and words.capitalised_before(i - 1, text, " \t-")]
    if not acts:
        return []
    known = english_words()
    spans = []
    for at in acts:
        m = _BEFORE_ACT.search(text, max(0, at - 80), at, timeout=timeout)
        if not m:
            continue
        start, names = m.start(), m.group().split()
        while len(names) > 2 and is_english(names[0], known):
            start = text.index(names[1], start + len(names[0]))
            names = names[1:]
        if " ".join(names) not in countries() and not any(
                is_english(w, known) or w.lower() in _NOT_GIVEN_NAMES or w in countries() for w in names):
            spans.append((start, m.start() + len(m.group().rstrip()), 0.5))
    return spans


PLURALS = (("ies", "y"), ("es", ""), ("s", ""))
"""A plural's endings and what its singular ends with instead."""
_SUFFIXES = (*PLURALS, ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))


def is_english(word: str, known: frozenset[str]) -> bool:
    """Is ``word`` (or it without a plural's, a past's or a gerund's ending) in ``known``?"""
    folded = word.lower()
    return folded in known or any(folded.endswith(end) and folded[:-len(end)] + put in known
                                  for end, put in _SUFFIXES)


def lemma_tables() -> dict[str, Any]:
    """The lookups of spaCy's English lemmatizer (from WordNet) in the pinned pipeline package;
    empty when that package is not installed. Read for the two cached sets made from them."""
    import importlib.util

    import srsly

    from .engine import DEFAULT_MODEL

    spec = importlib.util.find_spec(DEFAULT_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return {}
    package = Path(next(iter(spec.submodule_search_locations)))
    found = next(package.glob("*/lemmatizer/lookups/lookups.bin"), None)
    return srsly.msgpack_loads(found.read_bytes()) if found is not None else {}


@functools.cache
def english_words() -> frozenset[str]:
    """English words: the lemmas and irregular forms that spaCy's English lemmatizer knows
    (from WordNet, in the lookups of the pinned pipeline package: 89,000) and spaCy's stop
    words. Empty when that package is not installed (then no name is found by this test)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    tables = lemma_tables()
    if not tables:
        return frozenset()
    words = set(STOP_WORDS)
    for lemmas in tables["lemma_index"].values():
        words.update(lemmas)
    for forms in tables["lemma_exc"].values():
        for form, lemmas in forms.items():
            words.add(form)
            words.update(lemmas)
    return frozenset(words)


@functools.cache
def _nouns() -> frozenset[str]:
    """The nouns among `english_words`' lemmas: WordNet lists places, companies and people as
    nouns ("paris", "amazon", "reading")."""
    from spacy.strings import hash_string

    return frozenset(lemma_tables().get("lemma_index", {}).get(hash_string("noun"), ()))


def is_common_word(word: str) -> bool:
    """Is ``word`` an English word that names nothing: one `english_words` knows (or a plural,
    a past or a gerund of one), but not as a noun ("Decode", "Refunds", "EXPLAIN"; not
    "Paris", "Amazon", "Reading")? False for all when the pipeline package is missing."""
    folded = word.lower()
    return folded not in _nouns() and is_english(folded, english_words())


_GROUPS = frozenset("team group department staff desk office support squad crew committee board "
                    "admin admins administrator bot ops operations payable receivable".split())
"""Words that end the name of a group or a role, not a person's ("To: Dev Team")."""


def is_cued_name(name: str) -> bool:
    """Can ``name``, found after a cue, be a person's: not "Name: Unknown", "Hi there", a
    task's name ("- name: Run Tests" in a CI file) nor a group's ("To: Dev Team"; but a given
    name and a surname that is such a word are a person's: "Contact: Anna Board")?"""
    from .names import names  # (names reads this module's word lists)

    words = name.lower().split()
    group = words[-1] in _GROUPS and not (len(words) == 2 and words[0] in names().given
                                          and words[0] not in names().given_words)  # "Anna Board"
    return words[0] not in _NOT_NAMES and not group and not names_no_one(name)


_SPEAKER = timed_compile(r"(?m)^[ \t>]*(?P<name>\p{Lu}\p{Ll}+(?:[ \t]\p{Lu}\p{Ll}+)?)[ \t]*:(?=[ \t]*\S)")
_LABELS = frozenset(
    "name date time when where what who why how address phone tel fax mobile email mail subject re "
    "fwd from to cc bcc note notes user bot assistant system agent customer client human ai "
    "question answer q a summary title description status priority type id ref reference "
    "location city country state zip code account card amount total order item price warning "
    "error info debug example input output result response request update source tags "
    "host accept authorization server connection cookie origin referer range via upgrade allow "
    "vary age expires pragma link version license licence package maintainer author architecture "
    "homepage depends requires section platform file line path port method level stage step task "
    "job image kind command environment region project service namespace label".split())
"""Field labels, HTTP header names and package metadata keys: a line that starts with one is
no speaker's."""


def find_speakers(text: str, timeout: float = REGEX_TIMEOUT) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of speaker names in a transcript (two or more speaker lines),
    looked for on the lines that hold a colon (a match lies in one line and holds one)."""
    view = View(text, lines_holding(text, ":"), "\n")
    if not view.text:
        return []
    spans = [(*view.to_text(m.start("name"), m.end("name")), 0.5)
             for m in _SPEAKER.finditer(view.text, timeout=timeout)
             if m.group("name").split()[0].lower() not in _LABELS]
    return spans if len(spans) >= 2 else []


def find_places(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
                ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of capitalised place names after "grew up in", "moved from"...
    (tried only where a cue's first word stands, as in `find_names`)."""
    starts = words_of(text, timeout, views).starts(_PLACE_FIRST)
    return [(m.start("place"), m.end("place"), 0.55)
            for m in tried_at(_PLACE_CUE, text, starts, timeout) if not names_no_one(m.group("place"))]


@functools.cache
def countries() -> frozenset[str]:
    """Country and territory names, from ``rules/pii/data/countries.yaml``."""
    return _shipped_list("countries")


@functools.cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 currency codes ("EUR", "USD"), from ``rules/pii/data/currencies.yaml``."""
    return _shipped_list("currencies")


def _shipped_list(name: str) -> frozenset[str]:
    """The list ``name`` of ``rules/pii/data/<name>.yaml``."""
    import yaml

    from ...paths import shipped_rules

    path = shipped_rules("pii", "data", f"{name}.yaml")
    return frozenset(yaml.safe_load(path.read_text(encoding="utf-8"))[name])


AMBIGUOUS_COUNTRIES = frozenset("turkey china chad jordan guinea jersey georgia niger japan india wales "
                                "man mali togo peru cuba oman iran iraq israel kenya".split())
"""Country names that are also words or first names: found capitalised only, and a person
spaCy sees there stays a person."""


@functools.cache
def _country_forms() -> frozenset[str]:
    return frozenset(form for name in countries() for form in (
        name, name.upper(), *(() if name.lower() in AMBIGUOUS_COUNTRIES else (name.lower(),))))


@functools.cache
def _country_pattern() -> TimedPattern:
    return timed_compile(r"\b" + trie(_country_forms()) + r"\b(?![\-'’]\p{L})")


@functools.cache
def _country_first_words() -> FirstWords:
    """The first word (``\\w+``) of each form, all of which start with one (a test checks); a
    first word that no form is alone ("the" of "the Gambia") counts only before a second word."""
    split = [_FIRST_WORD.findall(form, timeout=REGEX_TIMEOUT) for form in _country_forms()]
    alone = {_fold(words[0]) for words in split if len(words) == 1}
    then: dict[str, set[str]] = {}
    for words in split:
        if len(words) > 1 and _fold(words[0]) not in alone:
            then.setdefault(words[0], set()).add(words[1])
    return FirstWords((), (words[0] for words in split), then)




def find_countries(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
                   ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of country names as written in the list, in capitals or in lower
    case (0.5: weaker than spaCy's guesses, so "Jordan" stays a person where spaCy says so).

    The pattern (all names as one letter tree) is tried only where a word starts that is the
    first word of a name: a match starts at a word boundary with a word character, so at the
    start of a word, and its first word is that whole word (a name's first word is followed
    by a character that is not a word character, or by the pattern's closing boundary). A
    search tries the tree at every character: 0.19 against 0.11 ms per KB."""
    starts = words_of(text, timeout, views).starts(_country_first_words())
    return [(m.start(), m.end(), 0.5) for m in tried_at(_country_pattern(), text, starts, timeout)]


def find_organizations(text: str, timeout: float = REGEX_TIMEOUT, views: dict[Any, Any] | None = None
                       ) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of names ending in a company suffix (``Inc``, ``GmbH``...), looked
    for only when a suffix is there (tried where its first word stands)."""
    starts = words_of(text, timeout, views).starts(_ORG_HINT_FIRST)
    hits = [m.span() for m in tried_at(_ORG_HINT, text, starts, timeout)]
    if not hits:
        return []
    view = View(text, lines_around(text, hits), "\n")  # every match lies in one line, with a hit
    return [(*view.to_text(*m.span()), 0.6) for m in _ORG.finditer(view.text, timeout=timeout)]


# --- names the text gives elsewhere --------------------------------------------------------
_NAME_WORD = timed_compile(r"\p{Lu}[\p{L}'’\-]{2,}")
_LIST = timed_compile(r"\b\p{Lu}[\p{L}'’\-]+(?:,[ \t]+\p{Lu}[\p{L}'’\-]+)+,?[ \t]+(?:and|or|&)[ \t]+"
                      r"\p{Lu}[\p{L}'’\-]+")

_LIST_ITEM = timed_compile(r"\p{Lu}[\p{L}'’\-]+")
Span = tuple[int, int, str]


def _covered(length: int, spans: list[tuple[int, int]]) -> bytearray:
    """One byte per character of the text: 1 inside one of ``spans``."""
    mask = bytearray(length)
    for start, end in spans:
        mask[start:end] = b"\x01" * (end - start)
    return mask


_ANY_CASE_WORD = timed_compile(rf"{_NAME_WORD.pattern}|(?<![\p{{L}}'’\-])\p{{Ll}}[\p{{Ll}}'’\-]{{2,}}")
_JOINED = timed_compile(r"[ \t]+|[ \t]*[/,][ \t]*")  # "JOHN SMITH", "GARCIA/MARIA", "smith, john"
_JOINED_BY_BLANKS = timed_compile(r"[ \t]+")


def repeated_names(text: str, found: list[Span], timeout: float = REGEX_TIMEOUT) -> list[Span]:
    """Other mentions of the people in ``found``: their first or last names again, alone or
    together ("Jaworski" after "Kent Jaworski"), where nothing else was found; in capitals or
    lower case too where two of them stand together or one stands next to a person found
    ("JOHN SMITH", "GARCIA/MARIA MS", "emily Johnson"; not "street" of "John Street street"). One
    pass over the words of the lines that hold a name (a match lies in one line)."""
    names = {w for s, e, entity in found if entity == "PERSON"
             for w in _NAME_WORD.findall(text, s, e, timeout=timeout) if w not in TITLES}  # (a name word holds no dot)
    if not names:
        return []
    folded = {_fold(w) for w in names}
    taken = _covered(len(text), [(s, e) for s, e, _ in found])
    people = {s: e for s, e, entity in found if entity == "PERSON"}
    people_ends = {e: s for s, e in people.items()}
    lower = text.lower()
    if len(lower) == len(text):  # (the lines that hold a name in any case: one search per name)
        lines = [line for w in {w.lower() for w in names} for line in lines_holding(lower, w)]
    else:
        lines = [line for w in names for form in {w, w.upper(), w.lower()} for line in lines_holding(text, form)]
    view = View(text, merged(sorted(lines)), "\n")
    words = [view.to_text(*m.span()) for m in _ANY_CASE_WORD.finditer(view.text, timeout=timeout)
             if _fold(m.group()) in folded]
    words = [(s, e) for s, e in words if taken.find(1, s, e) < 0]
    out: list[Span] = []
    for i, (start, end) in enumerate(words):
        word = text[start:end]
        if word not in names:  # another case: beside another in that case or a person found
            before, after = words[i - 1] if i else None, words[i + 1] if i + 1 < len(words) else None
            if not (before and _same_case(word, text[before[0]:before[1]])
                    and _JOINED.fullmatch(text, before[1], start, timeout=timeout)
                    or after and _same_case(word, text[after[0]:after[1]])
                    and _JOINED.fullmatch(text, end, after[0], timeout=timeout)):
                folded_word = _fold(word)  # (a person's own word again is no first name: "Street street")
                if (text[end:end + 1] == " " and end + 1 in people
                        and _fold(text[end + 1:end + 1 + len(word)]) != folded_word):
                    end = people[end + 1]
                elif (text[start - 1:start] == " " and start - 1 in people_ends
                      and _fold(text[start - 1 - len(word):start - 1]) != folded_word):
                    start = people_ends[start - 1]
                else:
                    continue
        if out and _JOINED_BY_BLANKS.fullmatch(text, out[-1][1], start, timeout=timeout):  # "Kent Jaworski": one
            out[-1] = (out[-1][0], end, "PERSON")
        else:
            out.append((start, end, "PERSON"))
    return out


_PARTICLE_TAIL = timed_compile(rf"(?:[ \t]+{_PARTICLE}){{0,3}}[ \t]+{_CAPWORD}(?!\w)")
_LAST_WORD = timed_compile(r"\w+\Z")


def with_particles(text: str, found: list[Span], timeout: float = REGEX_TIMEOUT) -> list[Span]:
    """The people in ``found`` that a particle and a capitalised word follow, with them ("Donald
    van" of "Donald van der Voet", where a small NER model takes "Voet" for a firm)."""
    out: list[Span] = []
    for start, end, entity in found:
        m = _PARTICLE_TAIL.match(text, end, timeout=timeout) if entity == "PERSON" else None
        last = _LAST_WORD.search(text, start, end, timeout=timeout) if m else None
        if m and (len(m.group().split()) > 1 or last and last.group() in _PARTICLES):
            out.append((start, m.end(), "PERSON"))
    return out


_GIVEN_BEFORE = timed_compile(  # not after a possessive: "Mitchell's Cautionary Tales"
    r"(?<![\p{L}\d'’\-])(?<!['’]s |s['’] )\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)? \Z")
_NOT_GIVEN_NAMES = frozenset(
    "january february march april may june july august september october november december monday "
    "tuesday wednesday thursday friday saturday sunday".split()) | _NOT_NAMES | _GROUPS
"""Capitalised words that stand before a surname and are no one's first name ("in March Smith")."""


def _same_case(word: str, other: str) -> bool:
    """Are ``word`` and ``other`` both in capitals or both in lower case?"""
    return word.isupper() == other.isupper() and word.islower() == other.islower()


def given_names_before(text: str, found: list[Span], timeout: float = REGEX_TIMEOUT) -> list[Span]:
    """The people in ``found`` with the capitalised word just before them, inside a sentence
    ("Customer Priya Raghunathan" where NER found "Raghunathan"): a first name, not a month,
    a day, a country, a word that starts the sentence (any word is capitalised there) nor one
    after a possessive (a title's: "Mitchell's Cautionary Tales")."""
    out: list[Span] = []
    for start, end, entity in found:
        m = _GIVEN_BEFORE.search(text, max(0, start - 40), start, timeout=timeout) if entity == "PERSON" else None
        word = m.group()[:-1] if m else ""
        if (word and word.lower() not in _NOT_GIVEN_NAMES and word not in TITLES and word not in countries()
                and not starts_a_sentence(text, m.start())):
            out.append((m.start(), end, "PERSON"))
    return out


_SENTENCE_END = ".!?:;\n"


def starts_a_sentence(text: str, start: int) -> bool:
    """Does a sentence, a line or a list item start at ``start`` (looked for in the 16
    characters before it)?"""
    before = text[max(0, start - 16):start].rstrip(" \t\"'“‘*>#•-")
    return not before or before[-1] in _SENTENCE_END


def listed_names(text: str, found: list[Span], timeout: float = REGEX_TIMEOUT) -> list[Span]:
    """In a list of capitalised words ("Saidali, Elizabeth, Michael and Anthony") where at
    least half are people, or that names two people and where at least half are people or no
    English words nor countries (a small NER model takes some names for firms or places), the
    others are people too ("Anna compared Asana, Trello and Basecamp" names one).
    Lists are looked for on the lines that hold a comma (a list lies in one line and holds one)."""
    people = _covered(len(text), [(s, e) for s, e, entity in found if entity == "PERSON"])
    view = View(text, lines_holding(text, ","), "\n")
    out: list[Span] = []
    known = english_words()
    for m in _LIST.finditer(view.text, timeout=timeout) if view.text else ():
        start, end = view.to_text(*m.span())
        items = [w.span() for w in _LIST_ITEM.finditer(text, start, end, timeout=timeout)]
        named = [people.find(1, i, ie) >= 0 for i, ie in items]
        likely = [hit or (text[i:ie].lower() not in known and text[i:ie] not in countries())
                  for (i, ie), hit in zip(items, named)]
        if 2 * sum(named) >= len(items) or sum(named) > 1 and 2 * sum(likely) >= len(items):
            out += [(i, ie, "PERSON") for (i, ie), hit in zip(items, named) if not hit]
    return out
