"""A fix to a text held in a list of content parts changes only the text parts: images, audio,
files and other parts stay, in order (Anthropic tool results, search results and documents;
OpenAI chat content parts; Responses input items and tool outputs)."""
from __future__ import annotations

import copy

import pytest

from guardlayer import guarded
from guardlayer.call import CallShape
from guardlayer.call_write import split_back
from guardlayer.guards.pii import PIIGuard

EMAIL = "jane.doe@example.com"
IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}


def _sent(messages: list, arg: str = "messages") -> list:
    """What the model gets once the regex PII guard has fixed ``messages``."""
    @guarded(input=[(PIIGuard(mode="regex"), "fix")])
    def create(**kwargs):
        return kwargs[arg]

    original = copy.deepcopy(messages)
    sent = create(model="m", **{arg: messages})
    assert messages == original  # the caller's messages are not changed
    return sent


def _scrubbed(text: str, before: str, after: str) -> None:
    assert EMAIL not in text and text.startswith(before) and text.endswith(after), text


def test_an_anthropic_tool_result_keeps_its_image_between_its_texts():
    sent = _sent([{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "text", "text": f"Owner: {EMAIL}"}, IMAGE, {"type": "text", "text": f"cc {EMAIL}\nend"}]},
        {"type": "text", "text": "what does the screenshot show?"}]}])
    result = sent[0]["content"][0]
    assert result["tool_use_id"] == "t1" and [p["type"] for p in result["content"]] == ["text", "image", "text"]
    assert result["content"][1] == IMAGE
    _scrubbed(result["content"][0]["text"], "Owner: <EMAIL", ">")
    _scrubbed(result["content"][2]["text"], "cc <EMAIL", ">\nend")
    assert sent[0]["content"][1] == {"type": "text", "text": "what does the screenshot show?"}


def test_a_tool_result_given_as_a_string_stays_a_string():
    sent = _sent([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                                "content": f"mail {EMAIL}"}]}])
    _scrubbed(sent[0]["content"][0]["content"], "mail <EMAIL", ">")


def test_an_anthropic_search_result_and_a_content_document_keep_their_images():
    sent = _sent([{"role": "user", "content": [
        {"type": "search_result", "source": "https://x.test", "title": "hit",
         "content": [IMAGE, {"type": "text", "text": f"write to {EMAIL}"}]},
        {"type": "document", "source": {"type": "content", "content": [
            {"type": "text", "text": f"from {EMAIL}"}, IMAGE]}}]}])
    hit, doc = sent[0]["content"]
    assert hit["content"][0] == IMAGE and hit["title"] == "hit"
    _scrubbed(hit["content"][1]["text"], "write to <EMAIL", ">")
    assert doc["source"]["type"] == "content" and doc["source"]["content"][1] == IMAGE
    _scrubbed(doc["source"]["content"][0]["text"], "from <EMAIL", ">")


def test_openai_chat_parts_keep_image_audio_and_file_parts_in_order():
    parts = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
             {"type": "text", "text": f"I am {EMAIL}"},
             {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
             {"type": "file", "file": {"file_id": "file-abc"}},
             {"type": "text", "text": "what is in these?"}]
    sent = _sent([{"role": "system", "content": "be brief"}, {"role": "user", "content": parts}])
    content = sent[1]["content"]
    assert [p["type"] for p in content] == [p["type"] for p in parts]
    assert [content[i] for i in (0, 2, 3, 4)] == [parts[i] for i in (0, 2, 3, 4)]
    _scrubbed(content[1]["text"], "I am <EMAIL", ">")


def test_responses_input_images_and_tool_output_images_are_kept():
    image = {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}
    items = [{"role": "user", "content": [{"type": "input_text", "text": f"I am {EMAIL}"}, image,
                                          {"type": "input_file", "file_id": "file-abc"}]},
             {"type": "function_call", "call_id": "c1", "name": "look", "arguments": "{}"},
             {"type": "function_call_output", "call_id": "c1",
              "output": [image, {"type": "input_text", "text": f"seen {EMAIL}"}]}]
    sent = _sent(items, arg="input")
    assert sent[0]["content"][1:] == items[0]["content"][1:]
    _scrubbed(sent[0]["content"][0]["text"], "I am <EMAIL", ">")
    assert sent[1] == items[1] and sent[2]["output"][0] == image
    _scrubbed(sent[2]["output"][1]["text"], "seen <EMAIL", ">")


@pytest.mark.parametrize("texts, fixed, expected", [
    (["a\nb", "c"], "A\nB\nC", ["A\nB", "C"]),                         # line for line
    (["one\ntwo\nthree", "four\nfive"], "one\n[...]\nfive", ["one\n[...]", "five"]),  # a middle cut
    (["head", "gone\nalso gone", "tail"], "head\ntail", ["head", None, "tail"]),  # a text cut away
    (["x", "y"], "x\nnew line\ny", ["x\nnew line", "y"]),             # an added line goes with the one before
    (["a b c", "d e f"], "note\n<<doc>>\naˆbˆc\ndˆeˆf\n<</doc>>",      # every line changed, lines added
     ["note\n<<doc>>\naˆbˆc", "dˆeˆf\n<</doc>>"]),                       # (spotlight): each stays in its part
])
def test_a_fixed_text_is_split_back_into_its_parts(texts, fixed, expected):
    assert split_back(texts, fixed) == expected


def test_a_part_cut_away_is_dropped_and_the_image_stays():
    call = CallShape.of(lambda messages: None).bind(([{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "text", "text": "keep"}, IMAGE, {"type": "text", "text": "drop"}]}]}],), {})
    (slot,) = call.slots()
    assert slot.text == "keep\ndrop"
    result = call.with_slot(slot, "keep").messages[0]["content"][0]
    assert result["content"] == [{"type": "text", "text": "keep"}, IMAGE]
