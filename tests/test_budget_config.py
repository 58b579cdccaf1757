"""Budget settings that cannot work are refused when the budget is built (in code, and in a
rule file with its file, line and field), and a call whose scope lacks a limit's key is refused
rather than let through unchecked."""
from __future__ import annotations

import pytest

from guardlayer import guarded, scope
from guardlayer.budget import Budget
from guardlayer.context import Context, Scope
from guardlayer.errors import ConfigError, RuleFileError
from guardlayer.rules import load_rules


@pytest.mark.parametrize("limit, field, words", [
    ({"per": "users", "requests": 2}, "limits[0].per", "unknown per 'users' (did you mean 'user'?)"),
    ({"per": "team", "requests": 2}, "limits[0].per", "a tag declared in the budget's tags"),
    ({"per": "user", "cost": float("inf")}, "limits[0].cost", "finite number"),
    ({"per": "user", "cost": float("nan")}, "limits[0].cost", "finite number"),
    ({"per": "user", "tokens": True}, "limits[0]", "a number, not true or false"),
    ({"per": "user", "requests": 5, "buckets": True, "algorithm": "sliding", "window": "1h"},
     "limits[0]", "not true or false"),
    ({"per": "user", "tokens": 100, "window": "99999999999999999d"}, "limits[0]", "longer than 36500d"),
    ({"per": "user", "tokens": 100, "window": "36501d", "algorithm": "token_bucket"}, "limits[0]",
     "use total"),
])
def test_a_limit_that_cannot_work_is_refused_when_built(limit, field, words) -> None:
    with pytest.raises(ConfigError) as info:
        Budget([limit])
    assert info.value.field == field and words in info.value.message


def test_per_may_name_a_declared_tag_and_the_longest_window_is_accepted() -> None:
    budget = Budget([{"per": "team", "requests": 1, "window": "36500d"}], tags=["team"])
    c = Context(scope=Scope(tags={"team": "red"}))
    budget.reserve(c)
    assert budget.remaining(c)[0]["used"] == 1


def test_a_rule_file_names_the_file_line_and_field_of_a_bad_per(tmp_path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("name: bot\nbudget:\n  store: memory://\n  limits:\n"
                    "    - {per: user, tokens: 1000, window: day}\n"
                    "    - {per: users, requests: 2, window: day}\n")
    for open_stores in (True, False):  # (False: what `guardlayer rules check` does)
        with pytest.raises(RuleFileError) as info:
            load_rules(path, open_stores=open_stores)
        err = info.value
        assert (err.file, err.line, err.field) == (str(path), 6, "budget.limits[1].per")
        assert "unknown per 'users'" in err.message


def test_a_rule_file_declares_tags_and_may_let_calls_without_a_key_pass(tmp_path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("budget:\n  tags: [team]\n  missing_scope: skip\n  limits:\n"
                    "    - {per: team, requests: 1, window: day}\n")
    ask = guarded(chain=load_rules(path))(lambda prompt: "answer")
    assert ask("hi") == ask("hi") == "answer"  # no team: the limit does not apply
    with scope(tags={"team": "red"}):
        ask("hi")


def test_a_call_without_the_key_a_limit_is_kept_per_is_refused_before_the_model() -> None:
    calls = []
    budget = Budget([{"per": "user", "requests": 2, "window": "day"},
                     {"per": "session", "tokens": 1000, "window": "day"}])
    ask = guarded(budget=budget)(lambda prompt: calls.append(prompt) or "answer")
    with pytest.raises(ConfigError, match=r"requests per day per user: no user in scope.*missing_scope"):
        ask("hi")
    with scope(user="alice"), pytest.raises(ConfigError, match="per session: no session in scope"):
        ask("hi")
    with scope(user="alice", session="s1"):
        assert ask("hi") == "answer"
    assert calls == ["hi"]
