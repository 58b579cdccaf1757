"""token_limit and budgets driven through the chain, as a user would wire them."""
from __future__ import annotations

import random
import string
import textwrap

import pytest

from guardlayer import Blocked, BudgetExceeded, guarded, last_report, load_rules, scope
from guardlayer.budget import Budget
from guardlayer.guards.limits import TokenLimit
from guardlayer.testing import ScriptedModel

LONG = "word " * 400


def test_drop_oldest_turns_reach_the_model_shortened():
    model = ScriptedModel(["ok"])
    ask = guarded(lambda messages, model_name="gpt-4o": model(messages=messages),
                  input=[TokenLimit(300, model="gpt-4o", strategy="drop_oldest")])
    conversation = [{"role": "system", "content": "be brief"},
                    {"role": "user", "content": LONG}, {"role": "assistant", "content": LONG},
                    {"role": "user", "content": "and now?"}]
    assert ask(conversation) == "ok"
    sent = model.calls[0]
    assert [m["role"] for m in sent] == ["system", "user"] and sent[-1]["content"] == "and now?"
    verdict = last_report().checks[0].verdict
    assert verdict.passed and verdict.meta["cut_tokens"] > 700


def test_truncate_on_a_prompt_cuts_on_token_boundaries():
    model = ScriptedModel(["ok"])
    ask = guarded(model, input=[TokenLimit(50, model="gpt-4o", strategy="truncate_tail")])
    ask(LONG)
    from guardlayer.tokens import count

    assert count(model.calls[0], "gpt-4o").tokens <= 50 and LONG.startswith(model.calls[0])


def test_budget_blocks_the_third_request_before_the_model_is_called(tmp_path):
    budget = Budget([{"per": "user", "requests": 2, "window": "day"}], f"sqlite:///{tmp_path}/b.db")
    model = ScriptedModel([{"choices": [{"message": {"content": "hi"}}],
                            "usage": {"prompt_tokens": 5, "completion_tokens": 1}}])
    ask = guarded(model, budget=budget)
    with scope(user="alice"):
        ask("one")
        ask("two")
        assert last_report().extra["budget"]["limits"][0]["remaining"] == 0
        with pytest.raises(BudgetExceeded) as info:
            ask("three")
    assert len(model.calls) == 2 and info.value.report.outcome == "blocked"
    with scope(user="bob"):
        assert ask("one") is not None  # another user's budget


def test_budget_from_a_rule_file_serves_the_fallback(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(textwrap.dedent(f"""
        fallback: "Daily limit reached."
        budget:
          store: sqlite:///{tmp_path}/budget.db
          on_exceeded: fallback
          reserve_output_tokens: 5
          limits:
            - {{per: user, tokens: 30, window: day}}
    """))
    model = ScriptedModel([{"choices": [{"message": {"content": "hi"}}],
                            "usage": {"prompt_tokens": 20, "completion_tokens": 5}}])
    ask = guarded(model, rules=path)
    with scope(user="carol"):
        first = ask("short")
        assert first["choices"][0]["message"]["content"] == "hi"
        assert ask("short") == "Daily limit reached."
    assert last_report().outcome == "fallback" and len(model.calls) == 1
    assert load_rules(path).budget is not None


@pytest.mark.parametrize("prompt", ["x" + "\u2003" * 20_000, "Summarize:" + "\t" * 40_000,
                                    "Summarize:" + "\u3000" * 20_000, "word\u00a0" * 600,
                                    "".join(random.Random(2).choices(string.ascii_lowercase, k=6500))])
def test_white_space_and_random_letters_over_the_limit_are_blocked_for_an_unknown_model(prompt):
    # R4's p20: 1,254-40,001 true tokens were estimated at 1-813 and passed a 1,000 limit
    ask = guarded(lambda prompt: "ok", input=[TokenLimit(1000, model="my-local-llama")])
    with pytest.raises(Blocked, match="token_limit"):
        ask(prompt)
