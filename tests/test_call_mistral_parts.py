"""A Mistral ``document_url`` part is a file given by URL: read as no text (not refused as an
unknown part holding text), and counted by token_limit as a file it cannot size."""
from __future__ import annotations

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.limits import TokenLimit

TURN = [{"role": "user", "content": [{"type": "text", "text": "Summarise this report."},
                                     {"type": "document_url", "document_url": "https://example.org/a.pdf"}]}]


def test_a_document_url_part_is_sent_as_is() -> None:
    @guarded(input=[TokenLimit(max_tokens=10_000, model="gpt-4o", file_tokens=2_000)])
    def chat(messages):
        return messages

    assert chat(TURN) == TURN


def test_a_document_url_part_is_a_file_token_limit_cannot_size() -> None:
    @guarded(input=[TokenLimit(max_tokens=10_000, model="gpt-4o")])
    def chat(messages):
        return "ok"

    with pytest.raises(Blocked, match="file_tokens"):
        chat(TURN)
