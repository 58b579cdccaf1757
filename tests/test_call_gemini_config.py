"""Gemini's ``config`` beside ``contents``: its ``system_instruction`` (a text, a ``Content``, a
part, or a list of them; a mapping or an SDK-style object) is the application's own text, as
``system=`` is: read, scrubbed of personal data, counted by the token limit; nothing else of the
config is read. The google-genai SDK is not installed here: its types are stood in for by
pydantic models of the same shape (the provider's boundary)."""
from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from pydantic import BaseModel
from support import Deny

from guardlayer import Blocked, ConfigError, guarded
from guardlayer.call import CallShape
from guardlayer.guards.limits import TokenLimit
from guardlayer.guards.pii import PIIGuard

EMAIL = "jane.doe@example.com"


class Part(BaseModel):
    """As ``google.genai.types.Part``: text, or data."""

    text: str | None = None
    inline_data: dict[str, Any] | None = None


class Content(BaseModel):
    parts: list[Part]
    role: str | None = None


class GenerateContentConfig(BaseModel):
    system_instruction: Content | Part | str | list[Part | str] | None = None
    temperature: float | None = None
    cached_content: str | None = None


def _generate(**kwargs: Any) -> dict[str, Any]:  # a pass-through wrapper of generate_content
    return kwargs


def _slots(config: Any) -> list[tuple[str, str, str]]:
    call = CallShape.of(_generate).bind((), {"model": "gemini", "contents": "hi", "config": config})
    return [(s.target, s.source, s.text) for s in call.slots()]


@pytest.mark.parametrize("config, where", [
    ({"system_instruction": f"Escalate to {EMAIL}."}, "config.system_instruction"),
    ({"systemInstruction": {"role": "system", "parts": [{"inline_data": {"mime_type": "image/png", "data": "iVBO"}},
                                                        {"text": f"Escalate to {EMAIL}."}]}},
     "config.systemInstruction.parts[1].text"),
    ({"system_instruction": ["Be brief.", {"text": f"Escalate to {EMAIL}."}]}, "config.system_instruction[1].text"),
    (GenerateContentConfig(system_instruction=Content(parts=[Part(text=f"Escalate to {EMAIL}.")])),
     "config.system_instruction.parts[0].text"),
    (GenerateContentConfig(system_instruction=Part(text=f"Escalate to {EMAIL}."), temperature=0.2),
     "config.system_instruction.text"),
])
def test_the_system_instruction_is_read_as_our_own_text_and_scrubbed(config, where):
    assert (where, "system", f"Escalate to {EMAIL}.") in _slots(config)
    before = copy.deepcopy(config)
    sent = []

    @guarded(input=[(Deny("EVIL"), "block"), PIIGuard(mode="regex")], output=[PIIGuard(mode="regex")])
    def generate(**kwargs):
        sent.append(kwargs["config"])
        return "Write to " + re.search(r"<EMAIL_ADDRESS_\d+>", repr(kwargs["config"])).group() + "."

    assert generate(model="gemini", contents="Who handles escalations?", config=config) == f"Write to {EMAIL}."
    assert EMAIL not in repr(sent[0]) and "Escalate to <EMAIL_ADDRESS_1>." in repr(sent[0])
    assert type(sent[0]) is type(config) and config == before  # a copy of the same shape, not changed in place
    if isinstance(config, GenerateContentConfig):
        assert sent[0].temperature == config.temperature


def test_only_the_system_instruction_of_a_config_is_read():
    config = {"system_instruction": "Be brief.", "temperature": 0.1, "cached_content": "cachedContents/jane-doe",
              "response_mime_type": "application/json"}
    assert _slots(config) == [("contents", "user", "hi"), ("config.system_instruction", "system", "Be brief.")]
    assert _slots({"tags": ["x"], "metadata": {"user": EMAIL}}) == [("contents", "user", "hi")]  # a LangChain config
    sent = guarded(_generate, input=[PIIGuard(mode="regex")])(model="gemini", contents="hi", config=config)
    assert sent["config"] == config


def test_a_declared_generate_content_signature_reads_its_config_with_its_contents():
    def generate_content(*, model: str, contents: Any, config: Any = None) -> Any:
        return config

    shape = CallShape.of(generate_content, untrusted={"contents": "user"})
    call = shape.bind((), {"model": "gemini", "contents": "hi", "config": {"system_instruction": f"Mail {EMAIL}"}})
    assert [(s.target, s.source) for s in call.slots()] == [("contents", "user"),
                                                             ("config.system_instruction", "system")]
    sent = guarded(generate_content, input=[PIIGuard(mode="regex")], untrusted={"contents": "user"})(
        model="gemini", contents="hi", config={"system_instruction": f"Mail {EMAIL}"})
    assert sent == {"system_instruction": "Mail <EMAIL_ADDRESS_1>"}


def test_the_token_limit_counts_the_system_instruction():
    big = "You are a helpful assistant. " * 400  # 2,401 tokens (o200k_base)
    generate = guarded(_generate, input=[TokenLimit(1000, model="gpt-4o")])
    with pytest.raises(Blocked, match="own text"):
        generate(model="gpt-4o", contents="hi", config={"system_instruction": big})
    assert generate(model="gpt-4o", contents="hi", config={"system_instruction": "Be brief."})["contents"] == "hi"


def test_a_system_instruction_part_holding_text_elsewhere_is_refused():
    with pytest.raises(ConfigError, match=r"config\.system_instruction\.parts\[0\] is a Gemini part"):
        guarded(_generate, input=[PIIGuard(mode="regex")])(
            model="gemini", contents="hi", config={"system_instruction": {"parts": [{"future": {"body": EMAIL}}]}})
