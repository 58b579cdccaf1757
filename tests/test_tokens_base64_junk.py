"""A stray byte outside the base64 alphabet (a ".", a NUL, a non-ASCII character) made a PDF's
base64 undecodable, and it cost its bytes instead of its pages; lenient decoders (binascii,
Python's `base64.b64decode`, Node's ``Buffer.from``) drop such bytes and read the file whole. It
is read so now. A ``-`` or ``_`` among the standard ``+/`` may be the URL-safe alphabet (Node) or
junk (binascii): the larger of the two readings is the cost. (A ``=`` inside is no junk: Node
stops reading there, Python passes over most: `tests/test_tokens_base64_padding.py`.)"""
from __future__ import annotations

import base64

import pytest

from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS
from tests.test_tokens_media import build_pdf

PDF = build_pdf(200, object_stream=True)
TEXT = base64.b64encode(PDF).decode()


def _cost(text: str) -> int:
    return file_tokens({"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64," + text}})


@pytest.mark.parametrize("junk", [".", "*", "!", "\0", "\u00e9", "\r\n", "-", "_", "--"])
def test_junk_inside_base64_still_costs_the_pages(junk: str) -> None:
    text = TEXT[:100] + junk + TEXT[100:]
    assert "+" in TEXT and "/" in TEXT and len(PDF) < 200 * PDF_PAGE_TOKENS // 10
    assert _cost(text) >= 200 * PDF_PAGE_TOKENS


def test_junk_in_bare_base64_of_an_undeclared_pdf_still_sniffs_it() -> None:
    text = "." * 901 + TEXT[:40] + "!" * 600 + TEXT[40:]
    part = {"inline_data": {"mime_type": "application/octet-stream", "data": text}}
    assert file_tokens(part) == 200 * PDF_PAGE_TOKENS


def test_a_dash_every_line_costs_at_least_the_pages() -> None:
    dashed = "-".join(TEXT[i:i + 76] for i in range(0, len(TEXT), 76))
    assert _cost(dashed) >= 200 * PDF_PAGE_TOKENS
