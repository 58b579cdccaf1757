"""Options given in code are checked as rule files' are: a bad one raises ConfigError when the
chain is built, naming the guard (or the chain) and the option, with the rule file's message."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from support import Deny

from guardlayer import Backoff, Chain, ConfigError, RuleFileError, guarded, load_rules, step
from guardlayer.testing import ScriptedModel


def _callable_fallback(prompt: str) -> str:
    return "from the fallback"


@pytest.mark.parametrize("options, field, words", [
    ({"timeout": -1}, "timeout", "greater than 0"),
    ({"timeout": 0}, "timeout", "greater than 0"),
    ({"timeout": "x"}, "timeout", "valid number"),
    ({"timeout": float("inf")}, "timeout", "finite number"),
    ({"retries": -1}, "retries", "greater than or equal to 0"),
    ({"retries": 2.5}, "retries", "valid integer"),
    ({"retries": 11}, "retries", "less than or equal to 10"),
    ({"retry": 2}, "retry", "unknown key"),
    ({"name": 3}, "name", "valid string"),
    ({"backoff": Backoff(initial=-1)}, "backoff.initial", "greater than or equal to 0"),
    ({"backoff": {"multiplier": 0.5}}, "backoff.multiplier", "greater than or equal to 1"),
    ({"backoff": 3}, "backoff", "object to extract fields from"),
    ({"budget": 3}, "budget", "BudgetLike"),
    ({"fallback": ["Sorry.", _callable_fallback]}, "fallback", "must come last"),
])
@pytest.mark.parametrize("build", [guarded, Chain.build])
def test_bad_chain_options_are_refused_when_the_chain_is_built(options, field, words, build):
    with pytest.raises(ConfigError) as info:
        build(input=[Deny()], **options)
    err = info.value
    assert (err.where, err.field) == ("chain", field)
    assert words in err.message and str(err).startswith(f"chain [{field}]: ")


def test_rule_file_overrides_are_checked_too(tmp_path: Path):
    path = tmp_path / "chain.yaml"
    path.write_text("input: []\n")
    with pytest.raises(ConfigError) as info:
        guarded(rules=path, timeout=-1)
    assert info.value.field == "timeout" and not isinstance(info.value, RuleFileError)


def test_good_chain_options_arrive_checked_and_converted():
    class Budget:  # any object with the methods the chain calls
        def reserve(self, ctx: Any, prompt: Any = None) -> object:
            return object()

        def settle(self, ticket: Any, ctx: Any) -> None:
            pass

    budget = Budget()
    ask = guarded(ScriptedModel(["fine"]), retries="1", timeout=5, backoff={"initial": 0.0},
                  budget=budget, name="support", fallback=[_callable_fallback, "Sorry."])
    chain = ask.chain
    assert (chain.retries, chain.timeout, chain.name) == (1, 5.0, "support")
    assert chain.backoff == Backoff(initial=0.0) and chain.budget is budget
    assert chain.fallback.callables == (_callable_fallback,) and chain.fallback.value == "Sorry."
    assert ask("hello") == "fine"


@pytest.mark.parametrize("guard, params, field, words", [
    ("injection", {"threshold": "high"}, "threshold", "valid number"),
    ("injection", {"threshold": 1.5}, "threshold", "between 0 and 1"),
    ("injection", {"thresold": 0.5}, "thresold", "unknown key"),
    ("injection", {"rules": "./signatures.yaml"}, "rules", "valid list"),
    ("canary", {"min_part": "most"}, "min_part", "valid number"),
    ("canary", {"min_part": 0.1}, "min_part", "between 0.2 and 1"),
    ("json", {"extra": "nope"}, "extra", "'drop', 'keep' or 'forbid'"),
    ("json", {"strict": "sometimes"}, "strict", "valid boolean"),
    ("schema", {}, "schema", "required key is missing"),
    ("token_limit", {"max_tokens": -5}, "max_tokens", "must be positive"),
    ("token_limit", {"max_tokens": 100, "strategy": "squeeze"}, "strategy", "'block'"),
])
def test_bad_guard_parameters_name_the_guard_and_the_parameter(tmp_path: Path, guard, params,
                                                                 field, words):
    with pytest.raises(ConfigError) as info:
        step(guard, **params)
    err = info.value
    assert (err.where, err.field) == (f"guard {guard!r}", field)
    assert words in err.message and str(err).startswith(f"guard {guard!r} [{field}]: ")
    # ... and a rule file with the same entry says the same thing about the same field
    entry = {"guard": guard, **params}
    path = tmp_path / "chain.yaml"
    path.write_text(textwrap.dedent(f"input:\n  - {entry!r}\n".replace("'", '"')))
    with pytest.raises(RuleFileError) as in_file:
        load_rules(path)
    assert in_file.value.message == err.message and in_file.value.field == f"input[0].{field}"


def test_guards_built_from_names_in_a_chain_are_checked():
    with pytest.raises(ConfigError) as info:
        guarded(output=["schema"])
    assert info.value.field == "schema"


def test_unknown_on_fail_names_the_guard_and_the_option():
    with pytest.raises(ConfigError) as info:
        guarded(input=[(Deny(), "explode")])
    assert (info.value.where, info.value.field) == ("guard 'deny-bad'", "on_fail")


def test_a_step_name_is_the_guard_name_as_in_rule_files(tmp_path: Path):
    placed = step("json", name="strict_json")
    path = tmp_path / "chain.yaml"
    path.write_text("output:\n  - {guard: json, name: strict_json}\n")
    from_file = load_rules(path).output[0]
    assert placed.name == from_file.name == "strict_json"
    assert placed.guard.name == from_file.guard.name == "strict_json"


def test_paths_given_by_name_may_be_path_objects(tmp_path: Path):
    rules_dir = Path(__file__).resolve().parent.parent / "rules"
    policy = step("policy", file=rules_dir / "policies" / "support_bot.yaml")
    signatures = tmp_path / "mine.yaml"
    signatures.write_text(textwrap.dedent("""\
        signatures:
          - id: mine.launch-codes
            category: extraction
            pattern: 'launch codes'
            weight: 1.0
        """))
    injection = step("injection", rules=[signatures], classifier=False)
    assert policy.guard.rules and any(s.id == "mine.launch-codes" for s in injection.guard.signatures)
