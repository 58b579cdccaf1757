"""`token_limit` counts of Gemini's ``config`` what is sent of it: its system instruction, tools
and response schema, not its empty settings; a config of another kind passed through a
``**kwargs`` wrapper (LangChain's ``RunnableConfig``) is not sent and counts nothing. The
google-genai SDK is not installed here: its config is stood in for by a pydantic model of the
same kind (the provider's boundary)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from guardlayer import guarded, last_report
from guardlayer.guards.limits import TokenLimit


class GenerateContentConfig(BaseModel):
    """As ``google.genai.types.GenerateContentConfig``: many settings, all None unless given."""

    system_instruction: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_schema: Any = None
    tools: list[Any] | None = None
    safety_settings: list[Any] | None = None
    cached_content: str | None = None


class Recipe(BaseModel):
    name: str
    ingredients: list[str]


def _generate(**kwargs: Any) -> dict[str, Any]:  # a pass-through wrapper of generate_content
    return kwargs


def _beside(limit: int = 10_000, **kwargs: Any) -> int:
    """The tokens token_limit counted beside the prompt for a call with ``kwargs``."""
    guarded(_generate, input=[TokenLimit(limit, model="gpt-4o")])(model="gpt-4o", contents="hi", **kwargs)
    return max(check.verdict.meta.get("beside", 0) for check in last_report().checks)


def test_only_the_system_instruction_of_a_config_counts_not_its_settings():
    plain = _beside(config={"system_instruction": "Be brief."})
    assert plain > 0
    assert _beside(config=GenerateContentConfig(system_instruction="Be brief.")) == plain
    assert _beside(config=GenerateContentConfig(system_instruction="Be brief.", temperature=0.2, seed=7)) == plain


def test_a_config_of_another_kind_counts_nothing():
    runnable = {"tags": ["support"], "metadata": {"run": "r" * 400}, "configurable": {"thread_id": "t-1"},
                "callbacks": None, "recursion_limit": 25}
    assert _beside(config=runnable) == 0
    sent = guarded(_generate, input=[TokenLimit(20, model="gpt-4o")])(model="gpt-4o", contents="hi", config=runnable)
    assert sent["config"] is runnable


def test_the_tools_and_response_schema_of_a_config_count():
    plain = _beside(config={"system_instruction": "Be brief."})
    tool = {"function_declarations": [{"name": "weather", "description": "The weather in a city, today",
                                       "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}
    assert _beside(config={"system_instruction": "Be brief.", "tools": [tool]}) > plain
    schema = _beside(config=GenerateContentConfig(system_instruction="Be brief.", response_schema=Recipe))
    assert schema > plain
    assert _beside(config={"system_instruction": "Be brief.", "response_schema": list[Recipe]}) > schema
