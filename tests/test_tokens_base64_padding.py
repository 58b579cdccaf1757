"""One ``=`` put inside a PDF's base64 at the start of a quad dropped its cost 8-10 times (review
R5): Python's `base64.b64decode` (binascii, not validating) passes over it and reads the whole
PDF, but the count read only the text before it (where Node stops), and costed the file by its
bytes or the few pages there. Each reading is now also read with every ``=`` dropped, and the
larger cost is taken."""
from __future__ import annotations

import base64

import pytest

from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS
from tests.test_tokens_media import build_pdf

PDF = build_pdf(200, object_stream=True)
TEXT = base64.b64encode(PDF).decode()


def _cost(text: str) -> int:
    return file_tokens({"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64," + text})


@pytest.mark.parametrize("at", [4, 4_000, 4_002])
def test_a_padding_sign_inside_still_costs_the_pages(at: int) -> None:
    text = TEXT[:at] + "=" + TEXT[at:]
    assert base64.b64decode(text) == PDF and len(PDF) < 200 * PDF_PAGE_TOKENS // 10
    assert _cost(text) == 200 * PDF_PAGE_TOKENS


def test_a_padding_sign_where_python_stops_costs_the_pages_after_it_too() -> None:
    """After a quad's third character Python stops at a ``=``: the reading with it dropped counts."""
    text = TEXT[:4_003] + "=" + TEXT[4_003:]
    assert len(base64.b64decode(text)) < 4_000
    assert _cost(text) == 200 * PDF_PAGE_TOKENS
