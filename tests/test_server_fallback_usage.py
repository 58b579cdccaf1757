"""The ``usage`` the guard proxy tells is what the call was charged: the fallback models' usage
counts whatever the callable is named (``upstream`` too, as the relay's attempts are) and
whichever of its tries answered (a retry too)."""
from __future__ import annotations

from typing import Any

import pytest
from fake_openai import FakeOpenAI
from test_server import ASK, chain_from, proxy

SECOND = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
TRIED: list[int] = []


class Overloaded(Exception):
    status_code = 529


def _answer() -> dict[str, Any]:
    return {"id": "chatcmpl-second", "object": "chat.completion", "created": 1, "model": "second-model",
            "usage": SECOND, "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": "From the backup."}}]}


def upstream(*args: Any, **body: Any) -> dict[str, Any]:
    """A fallback callable named as the relay is in the Report."""
    return _answer()


def flaky(*args: Any, **body: Any) -> dict[str, Any]:
    """A fallback model that is overloaded at its first try."""
    TRIED.append(1)
    if len(TRIED) % 2:
        raise Overloaded("overloaded")
    return _answer()


@pytest.mark.parametrize("name", ["upstream", "flaky"])
def test_a_fallbacks_usage_is_told_whatever_it_is_named_and_tried(tmp_path, name):
    chain = chain_from(tmp_path, f"retries: 1\nbackoff: {{initial: 0, max: 0}}\nfallback:\n  - call: {__name__}:{name}\n")
    TRIED.clear()
    with proxy(chain, FakeOpenAI(failures=[500, 500])) as client:
        response = client.post("/v1/chat/completions", json=ASK)
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"] == "From the backup."
    assert response.json()["usage"] == SECOND  # (the upstream's failures charged nothing)
