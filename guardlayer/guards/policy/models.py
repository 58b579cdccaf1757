"""Typed policy rules, as read from rule files (pydantic models, validated at load)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import regex
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from ...regex_lint import backtracking_error
from .conditions import Condition, parse_condition
from .custom import get_rule
from .text import folded_phrase

RuleAction = Literal["block", "fix", "fallback", "log"]
Side = Literal["input", "output"]
ACTION_RANK = {"log": 0, "fix": 1, "fallback": 2, "block": 3}
"""block > fallback > fix > log: the strongest fired rule decides the verdict's action."""

Cond = Annotated[Condition, BeforeValidator(parse_condition)]


def _foldable(phrase: str) -> str:
    folded_phrase(phrase)
    return phrase


Phrase = Annotated[str, Field(min_length=1), AfterValidator(_foldable)]
Phrases = Annotated[list[Phrase], Field(min_length=1)]


class RuleBase(BaseModel):
    """Fields every rule has."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$", max_length=100)
    message: str = ""
    action: RuleAction = "block"
    sides: list[Side] = ["input", "output"]


class DenyRule(RuleBase):
    """Words or phrases that may not appear (matched on folded text); ``allow`` lists
    longer phrases that excuse a match inside them ("kill" but not "kill the process")."""

    kind: Literal["deny"]
    phrases: Phrases
    allow: list[Phrase] = []
    replacement: str = "[REDACTED]"


class RegexRule(RuleBase):
    """A regular expression (the `regex` module, time-limited) that may not match.
    ``folded: true`` matches the folded text (lower case, no homoglyphs or invisible chars)."""

    kind: Literal["regex"]
    pattern: str = Field(min_length=1)
    ignore_case: bool = False
    folded: bool = False
    replacement: str = "[REDACTED]"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            regex.compile(v, regex.VERSION1)
        except regex.error as exc:
            raise ValueError(f"bad regex: {exc}") from exc
        if slow := backtracking_error(v, regex.VERSION1):
            raise ValueError(slow)
        return v


class MaxLengthRule(RuleBase):
    """At most ``max`` characters; ``fix`` truncates."""

    kind: Literal["max_length"]
    max: int = Field(gt=0)


class RequireRule(RuleBase):
    """Content that must be present (``mode: any`` of the phrases, or ``all``); ``fix``
    appends ``append`` (default: the first phrase)."""

    kind: Literal["require"]
    phrases: Phrases
    mode: Literal["any", "all"] = "any"
    append: str | None = None


class UrlRule(RuleBase):
    """Links and images may only point at ``allow_domains`` (and their subdomains) with one of
    ``schemes``; ``fix`` replaces the link (a markdown image or link as a whole)."""

    kind: Literal["urls"]
    allow_domains: list[Annotated[str, Field(min_length=1)]] = []
    schemes: list[str] = ["http", "https", "mailto"]
    replacement: str = "[link removed]"

    @field_validator("allow_domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        out = []
        for d in v:
            d = d.strip().lower().rstrip(".")
            if d.startswith("*."):
                d = d[2:]
            if not regex.fullmatch(r"[a-z0-9\-]+(\.[a-z0-9\-]+)*", d):
                raise ValueError(f"not a domain: {d!r} (write example.com; subdomains are allowed)")
            out.append(d)
        return out


class SecretsRule(RuleBase):
    """No API keys, tokens, private keys or passwords (`guardlayer.secrets`)."""

    kind: Literal["secrets"]
    replacement: str = "[SECRET]"


class FieldRule(RuleBase):
    """On the parsed value: when ``when`` holds, ``require`` must hold. ``fix`` drops the
    fields ``require`` names, if that makes the rule pass."""

    kind: Literal["field"]
    when: Cond | None = None
    require: Cond


class PythonRule(RuleBase):
    """A rule registered in Python with ``@policy_rule(name)``."""

    kind: Literal["python"]
    rule: str
    params: dict[str, Any] = {}
    replacement: str = "[REDACTED]"

    @model_validator(mode="after")
    def _registered(self) -> PythonRule:
        get_rule(self.rule, self.params)
        return self


Rule = Annotated[Union[DenyRule, RegexRule, MaxLengthRule, RequireRule, UrlRule, SecretsRule,
                       FieldRule, PythonRule], Field(discriminator="kind")]
RULE = TypeAdapter(Rule)
KINDS = ("deny", "regex", "max_length", "require", "urls", "secrets", "field", "python")

DEFAULT_MESSAGES = {
    "deny": "a denied phrase appears", "regex": "a forbidden pattern matches",
    "max_length": "the text is too long", "require": "required content is missing",
    "urls": "a link points outside the allowed domains", "secrets": "a secret or key appears",
    "field": "a field rule is broken", "python": "a python rule fired",
}
