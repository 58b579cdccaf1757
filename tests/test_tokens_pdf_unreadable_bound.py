"""A PDF whose pages cannot all be counted is costed by its bytes, which is no bound: a page can
take some 40 bytes, and far fewer compressed. One line appended to a 300-page PDF (a ``/Type``
given by reference, an unreferenced object stream that inflates past the budget, many ``stream``
words) made it cost its 80-150 KB instead of 1.44 M tokens. A ``/Type`` by reference now counts
as a page (it may name ``/Page``), and a PDF whose read stops costs no less than the pages found
before it stopped: whatever is appended, the cost is never under the pages a reader finds. (Pages
hidden in what is left unread can still be under-counted: `guardlayer.tokens.pdf`.)"""
from __future__ import annotations

import zlib

import pytest

from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS
from guardlayer.tokens.pdf import (
    INFLATE_BUDGET,
    MAX_STREAMS,
    PageCount,
    pdf_pages,
)
from tests.test_tokens_media import build_pdf, data_url

BOMB = zlib.compress(b"1 0 " + b" " * (INFLATE_BUDGET + 1), 9)
APPENDED = {
    "a /Type by reference": b"\n/Type 1 0 R\n",
    "an unreferenced object stream past the budget": (b"999 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode "
                                                      b"/Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(BOMB), BOMB)),
    "more stream words than are looked at": b"\nstream" * (MAX_STREAMS + 1) + b"\n",
    "an object stream of another filter": (b"998 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /LZWDecode /Length 3 >>\n"
                                           b"stream\nabc\nendstream\nendobj\n"),
}


def _cost(pdf: bytes) -> int:
    return file_tokens({"type": "input_file", "filename": "a.pdf", "file_data": data_url(pdf)})


@pytest.mark.parametrize("object_stream", [False, True])
@pytest.mark.parametrize("tail", APPENDED.values(), ids=APPENDED.keys())
def test_an_appended_line_never_costs_a_pdf_under_its_pages(object_stream: bool, tail: bytes) -> None:
    pdf = build_pdf(300, object_stream=object_stream)
    assert pdf_pages(pdf) == PageCount(300) and _cost(pdf) == 300 * PDF_PAGE_TOKENS
    assert len(pdf + tail) < 300 * PDF_PAGE_TOKENS  # (its bytes: under its pages' cost)
    assert pdf_pages(pdf + tail).pages >= 300 and _cost(pdf + tail) >= 300 * PDF_PAGE_TOKENS


def test_pages_whose_type_is_given_by_reference_count() -> None:
    pdf = build_pdf(300)
    hidden = pdf.replace(b"<< /Type /Page /Parent", b"<< /Type 9999 0 R /Parent")
    assert hidden.count(b"/Type 9999 0 R") == 300 and b"/Type /Page " not in hidden
    assert pdf_pages(hidden) == PageCount(300) and _cost(hidden) == 300 * PDF_PAGE_TOKENS


def test_a_pdf_that_cannot_be_counted_costs_the_pages_found_or_its_bytes() -> None:
    bomb = APPENDED["an unreferenced object stream past the budget"]
    pdf = build_pdf(300) + bomb
    assert pdf_pages(pdf) == PageCount(300, whole=False) and _cost(pdf) == 300 * PDF_PAGE_TOKENS > len(pdf)
    first = b"%PDF-1.5\n" + bomb + build_pdf(300, object_stream=True)  # (its pages after the bomb: unread)
    assert pdf_pages(first) == PageCount(0, whole=False) and _cost(first) == max(PDF_PAGE_TOKENS, len(first))
