"""Numbers in a PDF are read whole, as a reader reads them. ``/First 10 0 R`` (an outline's first
item) was read as ``/First 1`` followed by no reference, the mark of an object stream: the next
stream, an image, was "an object stream not of one Flate filter" and the read stopped. A run of
digits after ``/Type`` was split at every place (its scan time grew with the square of the run)
and the read stopped when its scan time ran out. Either way the count was not whole."""
from __future__ import annotations

from guardlayer.tokens.pdf import PageCount, pdf_pages
from tests.test_tokens_media import build_pdf

OUTLINE = b"90 0 obj\n<< /Type /Outlines /First 91 0 R /Last 91 0 R /Count 1 >>\nendobj\n"


def test_an_outline_before_an_image_leaves_the_pages_countable() -> None:
    pdf = build_pdf(12, image_bytes=2_000)
    assert pdf_pages(pdf) == PageCount(12)
    with_outline = pdf.replace(b"5 0 obj\n", OUTLINE + b"5 0 obj\n", 1)
    assert with_outline != pdf and pdf_pages(with_outline) == PageCount(12)


def test_a_long_run_of_digits_after_type_is_read_in_one_pass() -> None:
    pdf = build_pdf(12)
    padded = pdf.replace(b"1 0 obj\n", b"1 0 obj\n/Type " + b"7" * 200_000 + b"\n", 1)
    assert padded != pdf and pdf_pages(padded) == PageCount(12)
