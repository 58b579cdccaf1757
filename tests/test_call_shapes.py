"""Untrusted text in the shapes of real SDK requests: the OpenAI Responses API, Anthropic
documents and search results, SDK async methods; and what a re-ask adds."""
from __future__ import annotations

import asyncio
import functools

import pytest
from support import Deny

from guardlayer import Blocked, ConfigError, guarded
from guardlayer.call import CallShape
from guardlayer.providers import usage_of
from guardlayer.report import Usage


def _create(**kwargs):
    return kwargs


def test_a_kwargs_wrapper_called_the_responses_way_is_guarded():
    create = guarded(input=[Deny("EVIL")])(_create)
    with pytest.raises(Blocked):
        create(model="m", input="an EVIL plan")
    with pytest.raises(Blocked):
        create(model="m", input=[{"role": "user", "content": [{"type": "input_text", "text": "an EVIL plan"}]}])
    with pytest.raises(Blocked):  # a tool's output, an item with no role
        create(model="m", instructions="be nice", input=[
            {"role": "user", "content": "look it up"},
            {"type": "function_call", "call_id": "c1", "name": "search", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "EVIL instructions here"}])
    assert create(model="m", input="fine")["input"] == "fine"


def test_responses_items_are_read_with_their_sources_and_fixed_in_place():
    items = [{"role": "developer", "content": "rules"}, {"role": "user", "content": "q bad"},
             {"type": "function_call_output", "call_id": "c1", "output": "a bad result"},
             {"type": "function_call_output", "call_id": "c2",
              "output": [{"type": "input_text", "text": "bad part"}]}]
    call = CallShape.of(_create).bind((), {"model": "m", "input": items})
    assert [(s.target, s.source, s.text) for s in call.slots()] == [
        ("input[0]", "system", "rules"), ("input[1]", "user", "q bad"), ("input[2]", "tool", "a bad result"),
        ("input[3].content[0]", "tool", "bad part")]
    for slot in call.slots():
        call = call.with_slot(slot, slot.text.replace("bad", "***"))
    fixed = call.arguments["input"]
    assert fixed[2] == {"type": "function_call_output", "call_id": "c1", "output": "a *** result"}
    assert fixed[3]["output"] == [{"type": "input_text", "text": "*** part"}]
    assert items[2]["output"] == "a bad result"  # the caller's list is not changed


def test_anthropic_documents_and_search_results_are_documents():
    seen = []

    class Sees:
        def check(self, text, ctx):
            seen.append((ctx.source, text))
            return Deny("bad").check(text, ctx)

    @guarded(input=[(Sees(), "fix")])
    def chat(messages, model="m"):
        return messages

    sent = chat([{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "a bad page"}},
        {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "bad notes"}]}},
        {"type": "search_result", "source": "https://x.test", "title": "t",
         "content": [{"type": "text", "text": "bad hit"}]},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}},
        {"type": "text", "text": "summarise"}]}])
    assert seen == [("document", "a bad page"), ("document", "bad notes"), ("document", "bad hit"),
                    ("user", "summarise"), ("document", "t")]  # (the search result's title last)
    parts = sent[0]["content"]
    assert parts[0]["source"]["data"] == "a *** page" and parts[1]["source"]["content"] == [{"type": "text", "text": "*** notes"}]
    assert parts[2]["content"] == [{"type": "text", "text": "*** hit"}] and parts[3]["source"]["data"] == "JVBERi0="


def test_the_title_and_context_of_a_document_are_checked_too():
    @guarded(input=[(Deny("bad"), "fix")])
    def chat(messages, model="m"):
        return messages

    sent = chat([{"role": "user", "content": [
        {"type": "document", "title": "a bad title", "context": "bad context",
         "source": {"type": "text", "media_type": "text/plain", "data": "page"}},
        {"type": "search_result", "source": "https://x.test", "title": "bad hit title",
         "content": [{"type": "text", "text": "hit"}]}]}])
    doc, hit = sent[0]["content"]
    assert (doc["title"], doc["context"], doc["source"]["data"]) == ("a *** title", "*** context", "page")
    assert hit["title"] == "*** hit title" and hit["content"] == [{"type": "text", "text": "hit"}]
    with pytest.raises(Blocked):
        guarded(chat.__wrapped__, input=[Deny("EVIL")])(
            [{"role": "user", "content": [{"type": "document", "title": "EVIL",
                                           "source": {"type": "text", "data": "fine"}}]}])


def test_several_str_arguments_are_not_guessed():
    def ask(model: str, question: str) -> str:
        return question

    with pytest.raises(ConfigError, match="several str arguments"):
        guarded(ask, input=[Deny("EVIL")])
    assert guarded(ask, output=[Deny("EVIL")])("m", "q") == "q"  # output guards alone need no prompt
    with pytest.raises(Blocked):
        guarded(ask, input=[Deny("EVIL")], prompt_arg="question")("m", "an EVIL plan")


class _AsyncSDK:
    """An SDK's async method as openai and anthropic write it: a sync ``functools.wraps``
    wrapper around the coroutine function."""

    async def _create(self, **kwargs):
        return kwargs["messages"][-1]["content"]

    @functools.wraps(_create)
    def create(self, *args, **kwargs):
        return self._create(*args, **kwargs)


def test_an_sdk_async_method_can_be_decorated_directly():
    create = guarded(input=[Deny("EVIL")])(_AsyncSDK().create)
    assert asyncio.run(create(model="m", messages=[{"role": "user", "content": "hi"}])) == "hi"
    with pytest.raises(Blocked):
        asyncio.run(create(model="m", messages=[{"role": "user", "content": "EVIL"}]))


def test_a_reask_goes_to_the_user_prompt_and_never_sends_an_empty_turn():
    def answer(question: str, docs: str) -> str:
        return ""

    shape = CallShape.of(answer, prompt_arg="question", untrusted={"docs": "document"})
    call = shape.bind(("q?", "the page"), {}).with_reask("bad", "too short")
    assert call.arguments["docs"] == "the page" and "too short" in call.arguments["question"]

    def chat(messages):
        return ""

    call = CallShape.of(chat).bind(([{"role": "user", "content": "hi"}],), {}).with_reask("", "no JSON")
    assert call.messages[1] == {"role": "assistant", "content": "(no text)"}


def test_anthropic_cached_prompt_tokens_count():
    usage = {"input_tokens": 52, "output_tokens": 10, "cache_read_input_tokens": 48000,
             "cache_creation_input_tokens": 100}
    assert usage_of({"usage": usage}) == Usage(48152, 10)
    assert usage_of({"usage": {"prompt_tokens": 5, "completion_tokens": 1}}) == Usage(5, 1)


def test_a_kwargs_wrapper_guards_its_texts_not_its_first_argument():
    seen = []

    def create(model: str, **kwargs):
        seen.append(model)
        return "ok"

    guarded(input=[(Deny("gpt"), "fix")])(create)("gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert seen == ["gpt-4o"]  # the model's name is not a prompt


def test_a_kwargs_wrapper_binds_each_argument_by_its_own_name():
    call = CallShape.of(_create).bind((), {"model": "m", "input": "hi"})
    assert call.arguments == {"model": "m", "input": "hi"}
    assert call.invoke(_create) == {"model": "m", "input": "hi"}
