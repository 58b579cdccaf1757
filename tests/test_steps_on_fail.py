"""A guard whose verdicts name their own action lists the ``on_fail`` values it carries out
(``on_fail_actions``); a step with another one is refused when it is built, not silently
turned into the verdict's action at run time."""
from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardlayer import (
    Blocked,
    Chain,
    ConfigError,
    RuleFileError,
    Step,
    Verdict,
    guarded,
    load_rules,
    register,
    step,
)
from guardlayer.registry import unregister
from guardlayer.verdict import Action


class OwnAction:
    """Like the tool_calls and policy guards: a failing verdict names its action (block)."""

    name = "own"
    on_fail_actions = ("block", "fix", "fallback", "log")

    def check(self, text: str, ctx: object) -> Verdict:
        return Verdict.fail("no", meta={"action": "block"}) if "no" in text else Verdict.ok()


def test_an_on_fail_the_guard_cannot_carry_out_is_refused_with_the_ones_it_can() -> None:
    with pytest.raises(ConfigError) as info:
        step(OwnAction(), "reask")
    err = info.value
    assert err.field == "on_fail" and "'reask'" in str(err)
    assert "block, fix, fallback, log" in str(err) and "'own'" in str(err)
    with pytest.raises(ConfigError, match="reask"):
        Chain(output=(Step(OwnAction(), Action.REASK, "own"),))  # built without step() too


def test_the_on_fail_values_it_lists_are_accepted() -> None:
    assert guarded(output=[step(OwnAction(), "log")])(lambda prompt: "no")("q") == "no"
    with pytest.raises(Blocked):
        guarded(output=[step(OwnAction(), "fallback")])(lambda prompt: "no")("q")  # its verdict: block


def test_a_guard_without_the_list_takes_any_on_fail() -> None:
    class Plain:
        def check(self, text: str, ctx: object) -> Verdict:
            return Verdict.ok()

    assert [step(Plain(), a).on_fail for a in Action] == list(Action)


@pytest.fixture
def own_guard() -> Iterator[None]:
    register("own")(OwnAction)
    yield
    unregister("own")


@pytest.mark.usefixtures("own_guard")
def test_a_rule_file_with_such_an_on_fail_names_its_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(textwrap.dedent("""
        output:
          - guard: own
            on_fail: reask
    """))
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    assert (info.value.line, info.value.field) == (4, "output[0].on_fail")


@pytest.mark.parametrize("guard, params", [("tool_calls", {"tools": {"run": {}}}),
                                           ("policy", {"rules": [{"id": "r", "kind": "deny", "phrases": ["x"]}]})])
def test_guards_that_name_their_own_action_refuse_reask(guard, params) -> None:
    with pytest.raises(ConfigError, match="'reask'.*block, fix, fallback, log"):
        step(guard, "reask", **params)
    assert step(guard, "log", **params).on_fail is Action.LOG
