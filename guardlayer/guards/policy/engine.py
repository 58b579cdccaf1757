"""A compiled policy: rules turned into matchers once, evaluated once per check."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from ...context import Context
from ...guard import REGEX_TIMEOUT
from ...normalize import Folded
from ...secrets import find_secrets
from ...structured.extract import dumps
from ...structured.strings import leaves
from ...timed_regex import TimedPattern, timed_compile
from ...verdict import MISSING, Finding
from . import paths as jpaths
from .custom import get_rule
from .models import (
    ACTION_RANK,
    DEFAULT_MESSAGES,
    DenyRule,
    FieldRule,
    MaxLengthRule,
    PythonRule,
    RegexRule,
    RequireRule,
    RuleBase,
    SecretsRule,
    UrlRule,
)
from .text import (
    Letters,
    PhraseIndex,
    domain_allowed,
    find_links,
    fold_text,
    link_host,
    strip_invisible,
)

REDACTING = (DenyRule, RegexRule, UrlRule, SecretsRule, PythonRule)


@dataclass
class Fired:
    """One rule that fired: its findings, and how it would be fixed (None: it cannot be)."""

    rule: RuleBase
    findings: list[Finding]
    redact: list[tuple[int, int, str]] = field(default_factory=list)
    fixable: bool = False
    drops: list[tuple[Any, ...]] = field(default_factory=list)
    decoded: bool = False
    """Fired only on the parsed value's strings, not on the text (see `Policy.evaluate`)."""

    @property
    def message(self) -> str:
        return self.rule.message or DEFAULT_MESSAGES[self.rule.kind]  # type: ignore[attr-defined]


@dataclass
class Outcome:
    fired: list[Fired]
    skipped: list[str]
    fixed_text: str | None = None
    fixed_value: Any = MISSING

    @property
    def enforced(self) -> list[Fired]:
        return [f for f in self.fired if f.rule.action != "log"]

    @property
    def action(self) -> str | None:
        if not self.fired:
            return None
        return max((f.rule.action for f in self.fired), key=ACTION_RANK.__getitem__)


class _Sample:
    """The text being checked, folded at most once."""

    __slots__ = ("text", "_folded", "_letters")

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: Folded | None = None
        self._letters: Letters | None = None

    @property
    def folded(self) -> Folded:
        if self._folded is None:
            self._folded = fold_text(self.text)
        return self._folded

    @property
    def letters(self) -> Letters:
        if self._letters is None:
            self._letters = Letters(self.folded, self.text)
        return self._letters


class Policy:
    """Rules compiled for fast evaluation: all deny phrases in one matcher, all required
    phrases in another, regexes compiled, text folded once per evaluation."""

    def __init__(self, rules: Sequence[RuleBase], *, leaves: bool = True) -> None:
        self.rules = tuple(rules)
        leaf_rules = [r for r in self.rules if isinstance(r, (DenyRule, RegexRule, UrlRule, SecretsRule))]
        # Redacts the string leaves of a parsed value when text rules fix the text.
        self._leaves = Policy(leaf_rules, leaves=False) if leaves and leaf_rules else None
        self._index = {id(r): i for i, r in enumerate(self.rules)}
        deny = [(p, i) for i, r in enumerate(self.rules) if isinstance(r, DenyRule) for p in r.phrases]
        allow = [(p, i) for i, r in enumerate(self.rules) if isinstance(r, DenyRule) for p in r.allow]
        need = [(p, (i, j)) for i, r in enumerate(self.rules) if isinstance(r, RequireRule)
                for j, p in enumerate(r.phrases)]
        self._deny, self._allow, self._need = PhraseIndex(deny), PhraseIndex(allow), PhraseIndex(need)
        self._regex = {i: timed_compile(r.pattern, regex.VERSION1 | (regex.IGNORECASE if r.ignore_case else 0))
                       for i, r in enumerate(self.rules) if isinstance(r, RegexRule)}
        self._gates = {folded: _gate([r for r in self.rules if isinstance(r, RegexRule) and r.folded == folded])
                       for folded in (False, True)}
        self._python = {i: get_rule(r.rule, r.params) for i, r in enumerate(self.rules)
                        if isinstance(r, PythonRule)}
        self.has_fields = any(isinstance(r, FieldRule) for r in self.rules)
        self._active: dict[str, tuple[list[int], set[str]]] = {}
        for side in ("input", "output"):
            self._side(side)

    def _side(self, side: str) -> tuple[list[int], set[str]]:
        """The rules that run on ``side`` and their kinds (computed once per side)."""
        active = [i for i, r in enumerate(self.rules) if side in r.sides]
        self._active[side] = (active, {self.rules[i].kind for i in active})  # type: ignore[attr-defined]
        return self._active[side]

    # -- evaluation ---------------------------------------------------------------------

    @property
    def judges_strings(self) -> bool:
        """Whether text rules (deny, regex, urls, secrets) also judge a parsed value's strings."""
        return self._leaves is not None

    def evaluate(self, text: str, value: Any, ctx: Context) -> Outcome:
        """Run every rule that applies on ``ctx.side``; ``value`` is the parsed value or MISSING.

        When the text has escapes (a back slash) and there is a value, the text rules also judge
        each of its strings that the text does not show as it is (``"you get a guaranteed
        \\u0072efund"`` decodes to what the application receives); what they find there is
        reported at 0:0 with the string's path, and fixed in the value (the fixed text is then
        the value's JSON), never in the text."""
        sample = _Sample(text)
        active, kinds = self._active.get(ctx.side) or self._side(ctx.side)
        fired: dict[int, Fired] = {}
        skipped: list[str] = []
        memo: dict[Any, bool] = {}  # field conditions shared by several rules, judged once
        maybe = {f: g is None or g.search(sample.folded.text if f else text, timeout=REGEX_TIMEOUT) is not None
                 for f, g in self._gates.items()} if "regex" in kinds else {}
        if "deny" in kinds:
            self._phrases(sample, set(active), fired)
        if "require" in kinds and not ctx.partial:  # a streamed prefix may not have it yet
            self._required(sample, active, fired)
        for i in active:
            rule = self.rules[i]
            if isinstance(rule, RegexRule):
                if maybe[rule.folded]:
                    self._regex_rule(i, rule, sample, fired)
            elif isinstance(rule, MaxLengthRule) and len(text) > rule.max:
                fired[i] = Fired(rule, [Finding(rule.id, rule.max, len(text), "", 1.0, rule.message)],
                                 fixable=True)
            elif isinstance(rule, UrlRule):
                self._links(rule, sample, fired, i)
            elif isinstance(rule, SecretsRule):
                self._secrets(rule, sample, fired, i)
            elif isinstance(rule, FieldRule):
                if value is MISSING or ctx.partial:
                    skipped.append(rule.id)
                else:
                    self._field(rule, value, fired, i, memo)
            elif isinstance(rule, PythonRule):
                self._python_rule(i, rule, text, value, ctx, fired)
        if value is not MISSING and self._leaves is not None and "\\" in text:
            self._decoded(text, value, ctx, fired)
        out = Outcome([fired[i] for i in sorted(fired)], skipped)
        if out.enforced and all(f.fixable for f in out.enforced):
            out.fixed_text, out.fixed_value = self._fix(text, value, out.enforced, ctx.side)
            if out.fixed_value is MISSING and any(f.decoded for f in out.enforced):
                out.fixed_text = None  # the value kept what was found in it: no fix
        return out

    def _decoded(self, text: str, value: Any, ctx: Context, fired: dict[int, Fired]) -> None:
        """The text rules on each string of ``value`` the text does not show as it is, between
        quotes; a rule that already fired on the text is not reported again."""
        assert self._leaves is not None
        on_text, seen = set(fired), set()
        for path, string in leaves(value):
            if string in seen or f'"{string}"' in text:
                continue
            seen.add(string)
            for hit in self._leaves.evaluate(string, MISSING, ctx).fired:
                i = self._index[id(hit.rule)]
                if i in on_text:
                    continue
                f = fired.setdefault(i, Fired(hit.rule, [], fixable=True, decoded=True))
                f.findings += [Finding(x.kind, 0, 0, x.text, x.score,
                                       f"{x.detail} (in the string at {jpaths.show(path)}, escapes decoded)")
                               for x in hit.findings]

    def _phrases(self, sample: _Sample, active: set[int], fired: dict[int, Fired]) -> None:
        hits = [h for h in self._deny.find(sample.letters, sample.text) if h.owner in active]
        allowed: list[tuple[int, int, int]] | None = None
        for h in hits:
            rule = self.rules[h.owner]
            assert isinstance(rule, DenyRule)
            if rule.allow:
                if allowed is None:
                    allowed = [(a.owner, a.start, a.end) for a in self._allow.find(sample.letters, sample.text)]
                if any(o == h.owner and s <= h.start and h.end <= e for o, s, e in allowed):
                    continue
            f = fired.setdefault(h.owner, Fired(rule, [], fixable=True))
            f.findings.append(Finding(rule.id, h.start, h.end, sample.text[h.start:h.end], 1.0, f.message))
            f.redact.append((h.start, h.end, rule.replacement))

    def _required(self, sample: _Sample, active: list[int], fired: dict[int, Fired]) -> None:
        present: dict[int, set[int]] = {}
        for h in self._need.find(sample.letters, sample.text):
            rule_index, phrase_index = h.owner
            present.setdefault(rule_index, set()).add(phrase_index)
        for i in active:
            rule = self.rules[i]
            if not isinstance(rule, RequireRule):
                continue
            found = present.get(i, set())
            ok = bool(found) if rule.mode == "any" else len(found) == len(rule.phrases)
            if not ok:
                n = len(sample.text)
                fired[i] = Fired(rule, [Finding(rule.id, n, n, "", 1.0, rule.message or
                                                DEFAULT_MESSAGES["require"])], fixable=True)

    def _regex_rule(self, i: int, rule: RegexRule, sample: _Sample, fired: dict[int, Fired]) -> None:
        pat = self._regex[i]
        subject = sample.folded.text if rule.folded else sample.text
        for m in pat.finditer(subject, timeout=REGEX_TIMEOUT):
            if m.start() == m.end():
                continue
            start, end = sample.folded.span(*m.span()) if rule.folded else m.span()
            f = fired.setdefault(i, Fired(rule, [], fixable=True))
            f.findings.append(Finding(rule.id, start, end, sample.text[start:end], 1.0, f.message))
            f.redact.append((start, end, rule.replacement))

    def _links(self, rule: UrlRule, sample: _Sample, fired: dict[int, Fired], i: int) -> None:
        for link in find_links(sample.text):
            scheme, host = link_host(link.url)
            if host is None:  # relative link: same site
                continue
            if scheme and scheme not in rule.schemes:
                why = f"scheme {scheme!r} is not allowed"
            elif not domain_allowed(host, rule.allow_domains):
                why = f"host {host!r} is not allowed"
            else:
                continue
            f = fired.setdefault(i, Fired(rule, [], fixable=True))
            f.findings.append(Finding(rule.id, link.start, link.end, link.url, 1.0, f"{f.message}: {why}"))
            f.redact.append((link.start, link.end, rule.replacement))

    def _secrets(self, rule: SecretsRule, sample: _Sample, fired: dict[int, Fired], i: int) -> None:
        spans = [(s.start, s.end, s.detail) for s in find_secrets(sample.text)]
        if sample.folded.invisible:
            clean, keep = strip_invisible(sample.text)
            spans += [(keep[s.start], keep[s.end - 1] + 1, s.detail) for s in find_secrets(clean)]
        for start, end, kind in sorted(set(spans)):
            f = fired.setdefault(i, Fired(rule, [], fixable=True))
            f.findings.append(Finding(rule.id, start, end, "", 1.0, f"{f.message}: {kind}"))
            f.redact.append((start, end, rule.replacement))

    def _field(self, rule: FieldRule, value: Any, fired: dict[int, Fired], i: int,
               memo: dict[Any, bool]) -> None:
        if not self._field_fires(rule, value, memo):
            return
        drops = [c for p in rule.require.paths() for c, _ in p.find(value)]
        fixed = _drop_all(value, drops)
        fixable = bool(drops) and not self._field_fires(rule, fixed)
        detail = f"{rule.message or DEFAULT_MESSAGES['field']} (requires {rule.require})"
        got = {str(p): [v for _, v in p.find(value)] for p in rule.require.paths()}
        fired[i] = Fired(rule, [Finding(rule.id, 0, 0, json.dumps(got, default=str)[:200], 1.0, detail)],
                         fixable=fixable, drops=drops)

    @staticmethod
    def _field_fires(rule: FieldRule, value: Any, memo: dict[Any, bool] | None = None) -> bool:
        return (rule.when is None or rule.when.holds(value, memo)) and not rule.require.holds(value, memo)

    def _python_rule(self, i: int, rule: PythonRule, text: str, value: Any, ctx: Context,
                     fired: dict[int, Fired]) -> None:
        result = self._python[i](text, value, ctx, **rule.params)
        if result is None or result is False:
            return
        if result is True:
            fired[i] = Fired(rule, [Finding(rule.id, 0, 0, "", 1.0, rule.message or DEFAULT_MESSAGES["python"])])
            return
        found = list(result)
        if not found:
            return
        if not all(isinstance(x, Finding) for x in found):
            raise TypeError(f"python rule {rule.rule!r} must return a bool or Findings, got {found!r}")
        spans = [(x.start, x.end) for x in found if x.end > x.start]
        fired[i] = Fired(rule, [Finding(rule.id, x.start, x.end, x.text, x.score, x.detail or rule.message)
                                for x in found],
                         redact=[(s, e, rule.replacement) for s, e in spans],
                         fixable=len(spans) == len(found))

    # -- fixing ---------------------------------------------------------------------------

    def _fix(self, text: str, value: Any, enforced: list[Fired], side: str) -> tuple[str, Any]:
        fixed = _redact(text, [r for f in enforced for r in f.redact])
        limit = min((f.rule.max for f in enforced if isinstance(f.rule, MaxLengthRule)), default=None)
        suffix = "".join("\n\n" + (f.rule.append or f.rule.phrases[0]) for f in enforced
                         if isinstance(f.rule, RequireRule))
        if limit is not None:
            fixed = fixed[:max(0, limit - len(suffix))]
        fixed += suffix
        if value is MISSING:
            return fixed, MISSING
        new_value = _drop_all(value, [d for f in enforced for d in f.drops])
        if self._leaves is not None and any(isinstance(f.rule, REDACTING) for f in enforced):
            new_value = self._redact_leaves(new_value, side)
        if new_value != value:
            return dumps(new_value), new_value
        return fixed, MISSING

    def _redact_leaves(self, value: Any, side: str) -> Any:
        """The parsed value with every string leaf redacted by the text rules that redact."""
        if isinstance(value, dict):
            return {k: self._redact_leaves(v, side) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_leaves(v, side) for v in value]
        if not isinstance(value, str) or self._leaves is None:
            return value
        out = self._leaves.evaluate(value, MISSING, Context(side=side))
        spans = [r for f in out.enforced for r in f.redact]
        return _redact(value, spans) if spans else value


_UNGATEABLE = timed_compile(r"\\[1-9gk]|\(\?P[=>]|\(\?[&|R0-9]|\(\?[a-zA-Z\-]*x")


def _gate(rules: list[RegexRule]) -> TimedPattern | None:
    """One alternation of the rules' patterns: when it finds nothing, no rule can match, so
    none is run (one scan instead of one per rule). None when the rules cannot be combined:
    fewer than two, or a pattern that refers to a group or recurses (numbering would shift) or
    is verbose (a trailing comment would swallow the rest)."""
    if len(rules) < 2 or any(_UNGATEABLE.search(r.pattern, timeout=REGEX_TIMEOUT) for r in rules):
        return None
    try:
        return timed_compile("|".join(f"(?{'i' if r.ignore_case else '-i'}:{r.pattern})" for r in rules),
                             regex.VERSION1)
    except regex.error:
        return None


def _redact(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace spans (overlapping ones merged) by their replacement."""
    if not spans:
        return text
    merged: list[list[Any]] = []
    for s, e, rep in sorted(spans):
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, rep])
    parts, pos = [], 0
    for s, e, rep in merged:
        parts += [text[pos:s], rep]
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


def _drop_all(value: Any, concrete: list[tuple[Any, ...]]) -> Any:
    # Deepest and last first, so list indexes stay valid while items are removed.
    for c in sorted(set(concrete), key=_path_key, reverse=True):
        value = jpaths.drop(value, c)
    return value


def _path_key(path: tuple[Any, ...]) -> tuple[int, list[tuple[bool, Any]]]:
    return len(path), [(isinstance(x, str), x) for x in path]
