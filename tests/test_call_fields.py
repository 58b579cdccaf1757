"""Fields that carry text besides a message's content are read, each with its source: a chat
message's ``name``, Predicted Outputs, refusals, Responses items (assistant ``output_text``,
calls, tool outputs, file search results), titles nested in tool results; an item of a kind not
known that holds text is refused. A spotlighted tool result keeps its parts in place."""
from __future__ import annotations

import json
import re

import pytest
from support import Deny

from guardlayer import Blocked, ConfigError, Verdict, guarded
from guardlayer.call import CallShape
from guardlayer.spotlight import Spotlight


class Swap:
    """Reads the application's own turns too (as PII does) and puts ``<PERSON_1>`` for ``Smith``."""

    name = "swap"
    assistant_turns = system_turns = True

    def check(self, text, ctx):
        if "Smith" not in text:
            return Verdict.ok()
        return Verdict.fail("a name", fixed=text.replace("Smith", "<PERSON_1>"))


def _create(**kwargs):
    return kwargs


def _slots(**kwargs):
    return [(s.target, s.source, s.text) for s in CallShape.of(_create).bind((), kwargs).slots()]


def test_a_message_name_is_read_as_our_own_and_stays_a_valid_name():
    assert _slots(messages=[{"role": "user", "name": "John_Smith", "content": "hi"},
                            {"role": "tool", "name": "lookup", "tool_call_id": "c", "content": "x"}]) == [
        ("messages[0]", "user", "hi"), ("messages[0].name", "system", "John Smith"), ("messages[1]", "tool", "x")]
    create = guarded(_create, input=[(Swap(), "fix")])
    sent = create(messages=[{"role": "user", "name": "John_Smith", "content": "hi"}])["messages"]
    assert sent == [{"role": "user", "name": "John__PERSON_1", "content": "hi"}]  # ^[a-zA-Z0-9_-]+$
    sent = create(messages=[{"role": "user", "name": "Smith", "content": "hi"}])["messages"]
    assert sent == [{"role": "user", "name": "PERSON_1", "content": "hi"}]
    sent = create(messages=[{"role": "user", "name": "Ann__Lee-2", "content": "hi"}])["messages"]
    assert sent == [{"role": "user", "name": "Ann__Lee-2", "content": "hi"}]  # read, left as it was

    class Drop:
        system_turns = True

        def check(self, text, ctx):
            return Verdict.fail("gone", fixed="<>" if ctx.source == "system" else text)

    sent = guarded(_create, input=[(Drop(), "fix")])(messages=[{"role": "user", "name": "Ann", "content": "hi"}])
    assert sent["messages"] == [{"role": "user", "content": "hi"}]  # nothing valid left: no name


def test_a_name_made_longer_by_its_placeholders_is_cut_to_64_characters():
    name = "_".join(["Al_Smith"] * 7)  # 62 characters; each "Smith" becomes "_PERSON_1_"
    sent = guarded(_create, input=[(Swap(), "fix")])(messages=[{"role": "user", "name": name, "content": "hi"}])
    written = sent["messages"][0]["name"]
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", written) and written.startswith("Al__PERSON_1__Al__PERSON_1")
    assert not written.endswith("_") and "Smith" not in written


def test_predictions_refusals_and_responses_output_text_are_read_as_our_own():
    assert _slots(messages=[{"role": "assistant", "content": [{"type": "refusal", "refusal": "no, Smith"}]},
                            {"role": "assistant", "content": None, "refusal": "I won't, Smith"},
                            {"role": "user", "content": "hi"}],
                  prediction={"type": "content", "content": "Dear Smith"}) == [
        ("prediction", "system", "Dear Smith"), ("messages[0].content[0]", "assistant", "no, Smith"),
        ("messages[1].refusal", "assistant", "I won't, Smith"), ("messages[2]", "user", "hi")]
    sent = guarded(_create, input=[(Swap(), "fix")])(
        input=[{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi Smith"}]},
               {"role": "user", "content": "hi"}],
        prediction={"type": "content", "content": [{"type": "text", "text": "Dear Smith"}]})
    assert sent["input"][0]["content"] == [{"type": "output_text", "text": "Hi <PERSON_1>"}]
    assert sent["prediction"] == {"type": "content", "content": [{"type": "text", "text": "Dear <PERSON_1>"}]}


def test_responses_call_items_are_read_as_the_assistants_calls_and_written_back_as_json():
    items = [{"type": "function_call", "call_id": "c1", "name": "send", "arguments": json.dumps({"to": "Smith"})},
             {"type": "function_call_output", "call_id": "c1", "output": "sent"},
             {"type": "mcp_call", "id": "m", "server_label": "s", "name": "x", "arguments": "{\"q\": \"Smith\"}",
              "output": "done"}]
    assert _slots(input=items) == [
        ("input[0].tool_calls[0].arguments['to']", "assistant", "Smith"), ("input[1]", "tool", "sent"),
        ("input[2]", "tool", "done"), ("input[2].tool_calls[0].arguments['q']", "assistant", "Smith")]
    sent = guarded(_create, input=[(Swap(), "fix")])(input=items)["input"]
    assert json.loads(sent[0]["arguments"]) == {"to": "<PERSON_1>"} and sent[0]["call_id"] == "c1"
    assert json.loads(sent[2]["arguments"]) == {"q": "<PERSON_1>"} and sent[2]["output"] == "done"


@pytest.mark.parametrize("item, where", [
    ({"type": "local_shell_call_output", "call_id": "c", "output": "EVIL"}, "input[1]"),
    ({"type": "mcp_call", "id": "m", "server_label": "s", "name": "x", "arguments": "{}", "output": "EVIL"},
     "input[1]"),
    ({"type": "mcp_call", "id": "m", "server_label": "s", "name": "x", "arguments": "{}", "error": "EVIL"},
     "input[1].error"),
    ({"type": "file_search_call", "id": "f", "status": "completed", "queries": ["q"],
      "results": [{"file_id": "file-1", "filename": "a.txt", "text": "EVIL page"}]}, "input[1].results[0].text"),
    ({"type": "code_interpreter_call", "id": "ci", "code": "print()", "outputs": [{"type": "logs", "logs": "EVIL"}]},
     "input[1].outputs[0].logs"),
    ({"type": "mcp_list_tools", "id": "l", "server_label": "s",
      "tools": [{"name": "t", "description": "EVIL tool", "input_schema": {}}]}, "input[1].tools[0].description"),
])
def test_tool_outputs_of_every_responses_item_are_read(item, where):
    create = guarded(_create, input=[Deny("EVIL")])
    with pytest.raises(Blocked):
        create(input=[{"role": "user", "content": "hi"}, item])
    from guardlayer import last_report
    assert last_report().checks[-1].target == where


def test_an_item_of_an_unknown_kind_that_holds_text_is_refused():
    create = guarded(_create, input=[Deny("EVIL")])
    with pytest.raises(ConfigError, match=r"input\[1\] is an item of type 'newer_call_output'.*holds text"):
        create(input=[{"role": "user", "content": "hi"},
                      {"type": "newer_call_output", "call_id": "c", "output": [{"stdout": "EVIL"}]}])
    assert create(input=[{"role": "user", "content": "hi"},
                         {"type": "newer_kind", "id": "x", "status": "done"}])["input"][0]["content"] == "hi"
    screenshot = {"type": "computer_screenshot", "image_url": "data:image/png;base64,iVBO"}
    sent = guarded(_create, input=[(Swap(), "fix")])(input=[  # a screenshot holds no text; the
        {"type": "computer_call_output", "call_id": "c", "output": screenshot,  # safety checks do
         "acknowledged_safety_checks": [{"id": "s", "code": "pii", "message": "Smith on screen"}]},
        {"role": "user", "content": "hi"}])["input"]
    assert sent[0]["output"] == screenshot
    assert sent[0]["acknowledged_safety_checks"] == [{"id": "s", "code": "pii", "message": "<PERSON_1> on screen"}]


def test_a_search_result_inside_a_tool_result_has_its_title_read():
    @guarded(input=[(Deny("EVIL"), "fix")])
    def chat(messages):
        return messages

    sent = chat([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "search_result", "source": "https://x.test", "title": "EVIL title",
         "content": [{"type": "text", "text": "body"}]}]}]}])
    hit = sent[0]["content"][0]["content"][0]
    assert hit["title"] == "**** title" and hit["content"] == [{"type": "text", "text": "body"}]


def test_a_spotlighted_tool_result_keeps_its_parts_in_place():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}

    @guarded(input=[Spotlight()])
    def chat(messages):
        return messages

    sent = chat([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "text", "text": "part one words"}, image, {"type": "text", "text": "part two words"}]}]}])
    first, middle, last = sent[0]["content"][0]["content"]
    assert middle == image
    assert first["text"].startswith("Text between <<document") and "<<document" in first["text"].split("\n")[1]
    m = first["text"].split(" marker=", 1)[1][0]  # drawn at random per call
    assert first["text"].endswith(f"\npart{m}one{m}words") and "two" not in first["text"]
    assert last["text"].startswith(f"part{m}two{m}words\n<</document ")
