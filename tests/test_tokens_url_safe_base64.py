"""A file sent in URL-safe base64 (RFC 4648: ``-`` and ``_`` for ``+`` and ``/``, as proto3 JSON
takes a Gemini part's bytes and ``base64.urlsafe_b64encode`` writes) was decoded with those two
characters dropped: a 200-page PDF cost its 53,288 bytes instead of its pages. It is read as the
file it is, padded or not, bare or in a data URL, as a PDF sniffed by its header too."""
from __future__ import annotations

import base64

import pytest

from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS
from tests.test_tokens_media import build_pdf

PDF = build_pdf(200, object_stream=True)  # (its page objects compressed after bytes that encode to "-" and "_")
URL_SAFE = base64.urlsafe_b64encode(PDF).decode()


def _parts(text: str) -> list[dict]:
    return [{"inline_data": {"mime_type": "application/pdf", "data": text}},
            {"inlineData": {"mimeType": "application/pdf", "data": text.rstrip("=")}},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": text}},
            {"type": "input_file", "file_data": "data:application/pdf;base64," + text},
            {"type": "input_file", "file_data": "data:application/octet-stream;base64," + text},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": text}}]


def test_the_pdf_needs_both_alphabets_characters() -> None:
    assert "-" in URL_SAFE[:1000] and "_" in URL_SAFE and URL_SAFE != base64.b64encode(PDF).decode()


@pytest.mark.parametrize("part", _parts(URL_SAFE))
def test_a_url_safe_pdf_costs_its_pages(part: dict) -> None:
    assert file_tokens(part) == 200 * PDF_PAGE_TOKENS


@pytest.mark.parametrize("part", _parts(base64.b64encode(PDF).decode()))
def test_a_standard_pdf_costs_its_pages_as_before(part: dict) -> None:
    assert file_tokens(part) == 200 * PDF_PAGE_TOKENS


def test_a_url_safe_file_of_another_type_costs_its_bytes() -> None:
    data = bytes(range(256)) * 40
    text = base64.urlsafe_b64encode(data).decode()
    assert "-" in text and file_tokens({"inline_data": {"mime_type": "application/zip", "data": text}}) == len(data)
