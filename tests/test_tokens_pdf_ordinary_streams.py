"""Ordinary PDFs whose page count stopped (review R5 of the media change). A slide deck or a form
writes a stream for each image, mask and field appearance, and every ``stream`` word was counted,
``endstream`` too, against a cap of 4,000: a 100-slide deck with ten icons a slide (each an image
and its mask: 2,000 streams) was not counted. An object stream written without a filter (``qpdf
--object-streams=generate --stream-data=uncompress``) stopped the count too, though its objects
are plain text, read by the pass over the whole file. Both cost their bytes, under their pages;
they now count their pages."""
from __future__ import annotations

import zlib

from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS
from guardlayer.tokens.pdf import PageCount, pdf_pages
from tests.test_tokens_media import build_pdf, data_url

ICON = zlib.compress(b"\xff\x80\x00" * 256)  # (a 16 x 16 orange square)


def _cost(pdf: bytes) -> int:
    return file_tokens({"type": "input_file", "filename": "deck.pdf", "file_data": data_url(pdf)})


def deck(slides: int, images: int) -> bytes:
    """A PDF of ``slides`` pages in an object stream written last (as qpdf and Acrobat write them),
    after ``images`` small Flate images a slide."""
    pdf = build_pdf(slides, object_stream=True)
    at = pdf.index(b"%d 0 obj\n<< /Type /ObjStm" % (3 + 3 * slides))
    icons = b"".join(b"%d 0 obj\n<< /Type /XObject /Subtype /Image /Width 16 /Height 16 /BitsPerComponent 8 "
                     b"/ColorSpace /DeviceRGB /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"
                     % (10_000 + i, len(ICON), ICON) for i in range(slides * images))
    return pdf[:at] + icons + pdf[at:]


def test_a_deck_with_thousands_of_streams_counts_its_pages() -> None:
    pdf = deck(100, 20)
    assert pdf.count(b"\nstream\n") > 2_000 and len(pdf) < 100 * PDF_PAGE_TOKENS
    assert pdf_pages(pdf) == PageCount(100)
    assert _cost(pdf) == 100 * PDF_PAGE_TOKENS


def test_an_uncompressed_object_stream_counts_its_pages() -> None:
    pdf = build_pdf(10, image_bytes=500, object_stream=True, flate=False)
    assert b"/Type /ObjStm /N 12 /First" in pdf and b"<< /Type /Page /Parent" in pdf
    assert len(pdf) < 10 * PDF_PAGE_TOKENS
    assert pdf_pages(pdf) == PageCount(10)
    assert _cost(pdf) == 10 * PDF_PAGE_TOKENS
