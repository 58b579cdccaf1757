"""The chain: every failure action, retries with backoff, timeout, fallbacks, reask, Report."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from support import Crash, Deny, ParseInt, Upper

from guardlayer import (Action, Backoff, Blocked, ConfigError, ProviderError, Template, guarded,
                        Verdict, last_report, scope)
from guardlayer.testing import ProviderFailure, ScriptedModel

FAST = Backoff(initial=0.001, max=0.01)


def test_block_raises_with_verdicts_and_report():
    model = ScriptedModel(["fine"])
    ask = guarded(model, input=[Deny("bad")])
    with pytest.raises(Blocked) as info:
        ask("a bad prompt")
    assert model.calls == []  # the model never saw it
    assert [v.guard for v in info.value.verdicts] == ["deny-bad"]
    assert info.value.report.outcome == "blocked"
    assert info.value.report.checks[0].action is Action.BLOCK


def test_fix_on_input_changes_what_the_model_sees():
    model = ScriptedModel(["fine"])
    ask = guarded(model, input=[(Deny("bad"), "fix")])
    assert ask("a bad prompt") == "fine"
    assert model.calls == ["a *** prompt"]
    assert last_report().outcome == "fixed"


def test_fix_on_output_changes_the_answer():
    ask = guarded(ScriptedModel(["a bad answer"]), output=[(Deny("bad"), "fix")])
    assert ask("q") == "a *** answer"


def test_passing_guard_may_transform():
    ask = guarded(ScriptedModel(["quiet"]), output=[Upper()])
    assert ask("q") == "QUIET"
    assert last_report().outcome == "ok"


def test_log_records_and_continues():
    model = ScriptedModel(["a bad answer"])
    ask = guarded(model, input=[(Deny("bad"), "log")], output=[(Deny("bad"), "log")])
    assert ask("bad prompt") == "a bad answer"
    assert model.calls == ["bad prompt"]
    report = last_report()
    assert [c.action for c in report.checks] == [Action.LOG, Action.LOG]
    assert [c.verdict.passed for c in report.checks] == [False, False]


def test_fallback_on_input_skips_the_model():
    model = ScriptedModel(["never"])
    ask = guarded(model, input=[(Deny("bad"), "fallback")], fallback="Sorry.")
    assert ask("bad") == "Sorry."
    assert model.calls == []
    assert last_report().outcome == "fallback"
    assert last_report().fallback_reason == "says 'bad'"


def test_fallback_without_a_value_blocks():
    ask = guarded(ScriptedModel(["x"]), input=[(Deny("bad"), "fallback")])
    with pytest.raises(Blocked):
        ask("bad")


def test_reask_appends_the_reason_and_counts():
    model = ScriptedModel(["seven", "still words", "7"])
    ask = guarded(model, output=[(ParseInt(), "reask")], retries=2)
    assert ask("how many?") == 7
    assert len(model.calls) == 3
    assert "expected a whole number, got 'seven'" in model.calls[1]
    assert "Your previous answer:\nseven" in model.calls[1]
    report = last_report()
    assert report.reasks == 2 and [a.kind for a in report.attempts] == ["call", "reask", "reask"]


def test_reask_with_messages_appends_turns():
    model = ScriptedModel(["nope", "3"])
    ask = guarded(lambda messages: model(messages=messages), output=[(ParseInt(), "reask")])
    assert ask([{"role": "system", "content": "count"}, {"role": "user", "content": "how many?"}]) == 3
    second = model.calls[1]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == "nope" and "expected a whole number" in second[3]["content"]


def test_reask_exhausted_goes_to_fallback_then_blocks_without_one():
    ask = guarded(ScriptedModel(["x"]), output=[(ParseInt(), "reask")], retries=1, fallback="-1")
    assert ask("q") == -1  # the fallback text went through the output guards like an answer
    ask = guarded(ScriptedModel(["x"]), output=[(ParseInt(), "reask")], retries=1)
    with pytest.raises(Blocked) as info:
        ask("q")
    assert info.value.report.reasks == 1


def test_reask_on_input_side_blocks():
    ask = guarded(ScriptedModel(["x"]), input=[(Deny("bad"), "reask")])
    with pytest.raises(Blocked):
        ask("bad")


def test_crashing_guard_fails_closed():
    model = ScriptedModel(["x"])
    ask = guarded(model, input=[Crash()])
    with pytest.raises(Blocked) as info:
        ask("hello")
    assert "RuntimeError: boom" in info.value.verdicts[0].reason
    assert model.calls == []


class Returns:
    name = "odd"

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    def check(self, text, ctx) -> Verdict:
        return self.verdict


@pytest.mark.parametrize("side, verdict, says", [
    ("input", Verdict("False", 0.0, "fine"), "passed must be True or False, not 'False'"),
    ("output", Verdict.ok(fixed=12345), "fixed must be a str or None, not int"),
])
def test_a_malformed_verdict_fails_closed(side, verdict, says):
    model = ScriptedModel(["x"])
    ask = guarded(model, **{side: [(Returns(verdict), "fix")]})
    with pytest.raises(Blocked) as info:
        ask("hello")
    assert says in info.value.verdicts[0].reason


def test_a_numpy_bool_verdict_is_read_as_a_bool():
    import numpy as np

    ask = guarded(ScriptedModel(["x"]), input=[Returns(Verdict(passed=np.float64(0.1) < 0.5))])
    assert ask("hello") == "x"
    assert last_report().checks[0].verdict.passed is True


def test_crashing_guard_with_fix_and_no_fix_blocks():
    with pytest.raises(Blocked):
        guarded(ScriptedModel(["x"]), input=[(Crash(), "fix")])("hello")


def test_transient_errors_are_retried_with_backoff():
    model = ScriptedModel([ProviderFailure(429), TimeoutError("slow"), "ok"])
    ask = guarded(model, retries=2, backoff=FAST)
    assert ask("q") == "ok"
    assert len(model.calls) == 3
    report = last_report()
    assert [a.kind for a in report.attempts] == ["call", "retry", "retry"]
    assert report.attempts[0].error.startswith("ProviderFailure")


def test_retry_after_is_honoured():
    model = ScriptedModel([ProviderFailure(503, retry_after=0.3), "ok"])
    ask = guarded(model, retries=1, backoff=Backoff(initial=0.0, max=5, jitter=False))
    start = time.perf_counter()
    assert ask("q") == "ok"
    assert time.perf_counter() - start >= 0.3


def test_backoff_grows_exponentially():
    model = ScriptedModel([ProviderFailure(500)] * 3 + ["ok"])
    ask = guarded(model, retries=3, backoff=Backoff(initial=0.05, max=1, jitter=False))
    start = time.perf_counter()
    ask("q")
    assert time.perf_counter() - start >= 0.05 + 0.1 + 0.2


def test_non_transient_provider_error_is_not_retried_but_falls_back():
    model = ScriptedModel([ProviderFailure(400, "bad request"), "never"])
    ask = guarded(model, retries=3, fallback="fallback text", backoff=FAST)
    assert ask("q") == "fallback text"
    assert len(model.calls) == 1
    assert "bad request" in last_report().fallback_reason


def test_bugs_in_the_wrapped_function_propagate():
    def broken(prompt: str) -> str:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        guarded(broken, fallback="x")("q")


def test_after_last_retry_provider_error_without_fallback():
    ask = guarded(ScriptedModel([ProviderFailure(503)]), retries=1, backoff=FAST)
    with pytest.raises(ProviderError) as info:
        ask("q")
    assert info.value.report.retries == 1 and info.value.report.outcome == "error"


def test_timeout_is_transient_and_bounded():
    calls = []

    def slow(prompt: str) -> str:
        calls.append(prompt)
        if len(calls) == 1:
            time.sleep(0.5)
        return "done"

    ask = guarded(slow, timeout=0.1, retries=1, backoff=FAST)
    start = time.perf_counter()
    assert ask("q") == "done"
    assert time.perf_counter() - start < 0.45
    assert "CallTimeout" in last_report().attempts[0].error


def test_fallback_callables_are_tried_in_order_and_guarded():
    primary = ScriptedModel([ProviderFailure(503)])
    second = ScriptedModel([ProviderFailure(500)])
    third = ScriptedModel(["a bad answer", "fine"])
    ask = guarded(primary, output=[(Deny("bad"), "fallback")], retries=0,
                  fallback=[second, third, "last resort"])
    assert ask("q") == "last resort"  # third's answer failed the output guard
    assert len(second.calls) == 1 and len(third.calls) == 1
    assert ask("q") == "fine"
    assert last_report().fallback == "ScriptedModel"


def test_fallback_text_the_output_guards_reject_is_served_as_written():
    ask = guarded(ScriptedModel(["x"]), output=[(ParseInt(), "fallback")], fallback="no number")
    assert ask("q") == "no number"
    report = last_report()
    assert report.fallback == "value"
    assert report.extra["fallback_unchecked"].startswith("int: expected a whole number")


def test_template_fallback_is_filled_from_the_scope():
    ask = guarded(ScriptedModel(["x"]), input=[(Deny("bad"), "fallback")],
                  fallback=Template("Sorry {user}, {reason}."))
    with scope(user="alice"):
        assert ask("bad") == "Sorry alice, says 'bad'."


def test_report_has_times_usage_and_model():
    answer = {"model": "m-1", "choices": [{"message": {"content": "hi"}}],
              "usage": {"prompt_tokens": 11, "completion_tokens": 2}}
    ask = guarded(ScriptedModel([ProviderFailure(429), answer]), input=[Deny("x")],
                  output=[Deny("y")], backoff=FAST)
    assert ask("q") == answer
    report = last_report()
    assert report.usage.input_tokens == 11 and report.usage.total_tokens == 13
    assert report.attempts[-1].model == "m-1"
    assert report.total_ms > 0 and all(c.ms >= 0 for c in report.checks)
    data = report.to_dict()
    assert data["retries"] == 1 and data["checks"][0]["guard"] == "deny-x"
    assert "prompt" not in str(data["attempts"])  # raw text stays out of logs


def test_value_from_output_guard_is_returned():
    assert guarded(ScriptedModel([" 42 "]), output=[ParseInt()])("q") == 42


def test_provider_response_text_is_replaced_in_a_copy():
    answer = {"choices": [{"message": {"role": "assistant", "content": "a bad word"}}]}
    out = guarded(ScriptedModel([answer]), output=[(Deny("bad"), "fix")])("q")
    assert out["choices"][0]["message"]["content"] == "a *** word"
    assert answer["choices"][0]["message"]["content"] == "a bad word"


def test_report_is_logged_as_a_structured_record(caplog):
    with caplog.at_level("INFO", logger="guardlayer"):
        guarded(ScriptedModel(["x"]), input=[Deny("zzz")])("q")
    record = caplog.records[-1]
    assert record.guardlayer["outcome"] == "ok" and record.guardlayer["checks"][0]["passed"]


def test_one_guarded_function_from_many_threads():
    def echo(prompt: str) -> str:
        time.sleep(0.001)
        return f"answer to {prompt}"

    ask = guarded(echo, input=[(Deny("bad"), "fix")], output=[Upper()])
    results: dict[int, tuple[str, str]] = {}

    def worker(i: int) -> None:
        out = ask(f"q{i} bad" if i % 2 else f"q{i}")
        results[i] = (out, last_report().outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(64):
        expected = f"ANSWER TO Q{i} ***" if i % 2 else f"ANSWER TO Q{i}"
        assert results[i] == (expected, "fixed" if i % 2 else "ok")


def test_reask_shows_the_model_its_own_words_not_restored_originals():
    from support import Restore

    model = ScriptedModel(["<X>pect nine", "9"])
    ask = guarded(model, output=[(ParseInt(), "reask"), Restore()])
    assert ask("q") == 9
    assert "<X>pect nine" in model.calls[1] and "expect nine" not in model.calls[1]


def test_a_restoring_guard_before_a_reasking_one_is_refused():
    from support import Restore

    from guardlayer import ConfigError

    with pytest.raises(ConfigError, match="must come after 'int'"):
        guarded(ScriptedModel(["1"]), output=[Restore(), (ParseInt(), "reask")])


def test_a_bug_in_the_function_is_reported_as_an_error():
    def broken(prompt: str) -> str:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        guarded(broken, input=[Deny("zzz")])("q")
    assert last_report().outcome == "error"


def test_budget_is_settled_before_an_error_propagates():
    events = []

    class Recorder:
        def reserve(self, ctx, prompt=None):
            events.append("reserve")
            return object()

        def settle(self, ticket, ctx):
            events.append("settle")

    def broken(prompt: str) -> str:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        guarded(broken, budget=Recorder())("q")
    assert events == ["reserve", "settle"]


def test_a_verdict_naming_an_unknown_action_fails_closed():
    class Odd:
        def check(self, text, ctx):
            from guardlayer import Verdict
            return Verdict.fail("odd", meta={"action": "shrug"})

    with pytest.raises(Blocked):
        guarded(ScriptedModel(["x"]), input=[(Odd(), "fix")])("q")


@pytest.mark.parametrize("response", [
    SimpleNamespace(text="the EVIL answer"),  # a Gemini-like object
    b"the EVIL answer",
    {"output_text": "the EVIL answer"},  # a Responses-API-like dict
    {"choices": [{"message": {"content": "fine"}}, {"message": {"content": "the EVIL answer"}}]},
])
def test_an_answer_the_output_guards_cannot_read_fails_closed(response):
    guarded_model = guarded(output=[Deny("EVIL")])(lambda prompt: response)
    with pytest.raises(ConfigError, match="output guards cannot check this answer"):
        guarded_model("hi")


@pytest.mark.parametrize("response", [
    {"choices": [{"message": {"content": None, "tool_calls": [{"id": "1"}]}}]},
    {"content": [{"type": "tool_use", "id": "1", "name": "f", "input": {}}]},
])
def test_tool_call_only_answers_are_still_read_as_empty_text(response):
    assert guarded(output=[Deny("EVIL")])(lambda prompt: response)("hi") == response


@pytest.mark.parametrize("outcome", ["blocked", "error"])
def test_a_call_that_fails_is_logged_at_warning_the_default_level(caplog, outcome):
    model = ScriptedModel([ProviderFailure(400)])
    ask = guarded(model, input=[Deny("bad")], retries=0)
    with caplog.at_level("WARNING", logger="guardlayer"), pytest.raises((Blocked, ProviderError)):
        ask("a bad prompt" if outcome == "blocked" else "a fine prompt")
    (record,) = caplog.records
    assert record.levelname == "WARNING" and record.guardlayer["outcome"] == outcome


def test_input_guards_refuse_a_call_whose_text_they_cannot_find():
    # a pass-through wrapper called with argument names the chain does not read: the guards
    # would check nothing and the text would reach the model unchecked
    model = ScriptedModel(["ok"])

    @guarded(input=[Deny("bad")])
    def generate(**kwargs):
        return model(kwargs)

    with pytest.raises(ConfigError, match="the call gave .*text.*prompt_arg=, .*messages_arg="):
        generate(model="m", text="a bad prompt")
    assert model.calls == []
    assert generate(model="m", prompt="a fine prompt") == "ok"  # a name it reads
    assert guarded(model)(model="m", text="no input guards, nothing to refuse") == "ok"
