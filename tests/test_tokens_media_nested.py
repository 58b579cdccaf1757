"""Media among a Gemini function response's ``parts`` (``FunctionResponsePart``: inline data)
cost as media: a 20-page PDF there counted as its base64 text in JSON (6,940 tokens, not 96,000)."""
from __future__ import annotations

import base64

import pytest

from guardlayer.tokens import count_messages
from guardlayer.tokens.chat import referenced_files
from guardlayer.tokens.media import PDF_PAGE_TOKENS
from tests.test_tokens_media import build_pdf

B64 = base64.b64encode(build_pdf(20)).decode()


@pytest.mark.parametrize("key, inline, mime", [("function_response", "inline_data", "mime_type"),
                                                ("functionResponse", "inlineData", "mimeType")])
def test_a_pdf_in_a_function_response_costs_its_pages(key: str, inline: str, mime: str) -> None:
    response = {"name": "fetch", "response": {"status": "fetched the quarterly report"},
                "parts": [{inline: {mime: "application/pdf", "data": B64}}]}
    alone = count_messages([{"role": "user", "parts": [{inline: {mime: "application/pdf", "data": B64}}]}], "gpt-4o")
    nested = count_messages([{"role": "user", "parts": [{key: response}]}], "gpt-4o")
    assert 20 * PDF_PAGE_TOKENS <= alone.tokens < nested.tokens < alone.tokens + 40
    assert not nested.exact


def test_a_file_by_uri_in_a_function_response_is_found() -> None:
    """Vertex's ``FunctionResponseFileData``: a file by URI there went uncounted (the token limit
    passed the call instead of failing closed)."""
    part = {"function_response": {"name": "fetch", "response": {}, "parts": [
        {"file_data": {"mime_type": "application/pdf", "file_uri": "gs://bucket/report.pdf"}}]}}
    messages = [{"role": "user", "parts": [{"text": "Summarize the report."}, part]}]
    assert referenced_files(messages) == 1
    assert count_messages(messages, "gpt-4o", referenced=30_000).tokens > 30_000
