"""Counting a PDF's pages on hostile bytes (review R5): the work is bounded (inflate budget per
call, object streams, a page ceiling, one scan), and pages hidden from a naive count either count
or make the file cost its bytes (and never below the pages found). Work is asserted as memory
allocated or calls made, not time."""
from __future__ import annotations

import tracemalloc
import zlib

import pytest

import guardlayer.tokens.media as media_module
from guardlayer import guarded
from guardlayer.guards.limits import TokenLimit
from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS, one_call
from guardlayer.tokens.pdf import (
    INFLATE_BUDGET,
    MAX_OBJECT_STREAMS,
    MAX_STREAMS,
    PAGE_CEILING,
    InflateBudget,
    PageCount,
    pdf_pages,
)
from tests.test_tokens_media import build_pdf, data_url

FLATE = b"/Filter /FlateDecode"


def object_stream(number: int, body: bytes, dictionary: bytes = b"/Type /ObjStm /N 1 /First 0 " + FLATE) -> bytes:
    return b"%d 0 obj << %s >>\nstream\n%s\nendstream endobj\n" % (number, dictionary, body)


def test_a_spent_budget_stops_inflating() -> None:
    """Object streams that spend the old 32 MiB budget exactly, then 128 MiB of zeros: with
    ``max_length=0`` (no limit) the last inflated whole; the peak stays near the budget now."""
    spaces = zlib.compress(b" " * (4 << 20), 9)
    bomb = zlib.compress(b"\0" * (128 << 20), 9)
    pdf = b"".join([b"%PDF-1.5\n1 0 obj << /Type /Page >> endobj\n",
                    *(object_stream(2 + i, spaces) for i in range(8)), object_stream(20, bomb)])
    tracemalloc.start()
    try:
        pages = pdf_pages(pdf)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pages == PageCount(1, whole=False)
    assert peak < 3 * INFLATE_BUDGET


def test_the_budget_is_shared_by_a_calls_pdfs() -> None:
    """Two PDFs whose object streams need 3 MiB each: within one call the second is costed by
    its bytes (not read), alone each counts its page."""
    def pdf(tag: bytes) -> bytes:
        body = b"<< /Type /Page >> " + tag + b" " * (3 << 20)
        return b"%PDF-1.5\n" + object_stream(1, zlib.compress(body, 9)) + b"%" + b"x" * 9_000
    first, second = pdf(b"1"), pdf(b"2")
    assert pdf_pages(first) == pdf_pages(second) == PageCount(1)
    budget = InflateBudget()
    assert pdf_pages(first, budget) == PageCount(1) and pdf_pages(second, budget) == PageCount(0, whole=False)
    parts = [{"type": "input_file", "filename": "a.pdf", "file_data": data_url(p)} for p in (first, second)]
    with one_call():
        assert [file_tokens(p) for p in parts] == [PDF_PAGE_TOKENS, len(second)] != [PDF_PAGE_TOKENS] * 2


def test_too_many_object_streams_are_not_read() -> None:
    empty = zlib.compress(b"<< /Type /Page >>")
    pdf = b"%PDF-1.5\n" + b"".join(object_stream(i, empty) for i in range(MAX_OBJECT_STREAMS + 1))
    assert pdf_pages(pdf) == PageCount(MAX_OBJECT_STREAMS, whole=False)  # (the pages found before)
    assert pdf_pages(b"%PDF-1.5\n" + b"".join(object_stream(i, empty) for i in range(3))) == PageCount(3)


def test_pages_count_up_to_a_ceiling() -> None:
    """6.7 M page objects took a timed regex call each (8 s); the count now stops at the ceiling,
    raw or in an object stream."""
    many = b"/Type/Page " * (PAGE_CEILING + 500)
    assert pdf_pages(b"%PDF-1.5\n" + many) == PageCount(PAGE_CEILING)
    assert pdf_pages(b"%PDF-1.5\n" + object_stream(1, zlib.compress(many))) == PageCount(PAGE_CEILING)
    assert pdf_pages(b"%PDF-1.5\n2 0 obj << /Type /Pages /Count 99999 >> endobj\n") == PageCount(PAGE_CEILING)


def hidden(page: bytes, pages: int = 30, stream: bytes | None = None) -> bytes:
    """A PDF of ``pages`` pages whose tree says so (``/Count``), its first page plain and the
    others written as ``page`` (in an object stream of dictionary ``stream`` when given)."""
    body = b"".join(b"%d 0 obj %s endobj\n" % (10 + i, page) for i in range(1, pages))
    if stream is not None:
        body = object_stream(5, zlib.compress(body) if FLATE in stream else zlib.compress(zlib.compress(body)),
                             stream)
    tree = b"2 0 obj << /Type /Pages /Kids [%s] /Count %d >> endobj\n" % (
        b" ".join(b"%d 0 R" % (10 + i) for i in range(pages)), pages)
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + tree + (
        b"10 0 obj << /Type /Page /Parent 2 0 R >> endobj\n") + body


@pytest.mark.parametrize("page, stream, whole", [
    (b"<< /Parent 2 0 R >>", None, True),  # no /Type: the tree's /Count is the floor
    (b"<< /Type /P#61ge /Parent 2 0 R >>", None, True),  # an escaped name
    (b"<< /#54ype /Page /Parent 2 0 R >>", None, True),
    (b"<< /Type%c\n/Page /Parent 2 0 R >>", None, True),  # a comment between
    (b"<< /Type /Page >>", b"/N 29 /First 0 " + FLATE, True),  # an object stream without /Type /ObjStm
    (b"<< /Type /Page >>", b"/Type /Obj#53tm /N 29 /First 0 /Filter [ /FlateDecode ]", True),
    (b"<< /Type 9 0 R /Parent 2 0 R >>", None, True),  # a /Type by reference: it may name /Page
    # (not read: the tree's /Count, found before, is the floor)
    (b"<< /Type /Page >>", b"/Type /ObjStm /N 29 /First 0 /Filter [/FlateDecode /FlateDecode]", False),
    (b"<< /Type /Page >>", b"/Type /ObjStm /N 29 /First 0 /Filter /LZWDecode", False),
])
def test_hidden_pages_count_or_the_file_costs_the_pages_found(page: bytes, stream: bytes | None, whole: bool) -> None:
    """Each made a 100-page PDF count 1 page (4,807 tokens)."""
    pdf = hidden(page.replace(b"%c", b"%"), stream=stream)
    assert pdf_pages(pdf) == PageCount(30, whole)
    assert len(pdf) < 30 * PDF_PAGE_TOKENS
    assert file_tokens({"type": "input_file", "filename": "a.pdf", "file_data": data_url(pdf)}) == 30 * PDF_PAGE_TOKENS


def test_an_object_streams_dictionary_is_read_whole() -> None:
    """Padding or a string holding ``obj`` cannot push ``/Type /ObjStm`` out of sight."""
    dictionary = b"/Type /ObjStm /N 3 /First 0 /Pad (" + b" " * 5000 + b" 7 0 obj) " + FLATE
    pdf = b"%PDF-1.5\n" + object_stream(1, zlib.compress(b"<< /Type /Page >>" * 3), dictionary)
    assert pdf_pages(pdf) == PageCount(3)
    assert pdf_pages(build_pdf(3, object_stream=True)) == PageCount(3)


def test_a_truncated_conversation_reads_its_pdf_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each cut re-costed the messages, re-reading the PDF (hundreds of times a call)."""
    reads = []
    real = media_module.pdf_pages

    def counted(*args: object) -> PageCount:
        reads.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(media_module, "pdf_pages", counted)

    @guarded(input=[TokenLimit(max_tokens=20_000, model="gpt-4o", strategy="truncate_tail")])
    def chat(messages: list) -> str:
        return "ok"

    part = {"type": "file", "file": {"filename": "a.pdf", "file_data": data_url(build_pdf(2))}}
    texts = [{"type": "text", "text": f"note {i} " + "word " * 60} for i in range(200)]
    assert chat([{"role": "user", "content": [part, *texts]}]) == "ok"
    assert len(reads) == 1


def test_percent_signs_in_comments_do_not_backtrack() -> None:
    """``/Type%`` repeated: every ``%`` in a comment could start another, and the scan ran into its
    time limit (4 s a 6 KB PDF, per PDF); a comment now runs to the end of its line, once."""
    noise = b"/Type%" * 1000 + b"\n" + b"/Count%" * 1000 + b"\n"
    assert pdf_pages(b"%PDF-1.5\n" + noise + b"1 0 obj << /Type % a % comment\n /Page >> endobj\n") == PageCount(1)


def test_too_many_streams_are_not_read() -> None:
    """A search per ``stream`` keyword, millions of them in 14 MiB, took 2.7 s: past
    `MAX_STREAMS` the PDF is not read further (the pages found before stand)."""
    page = b"1 0 obj << /Type /Page >> endobj\n"
    assert pdf_pages(b"%PDF-1.5\n" + page + b"\nstream" * (MAX_STREAMS + 1)) == PageCount(1, whole=False)
    assert pdf_pages(b"%PDF-1.5\n" + page + b"\nstream" * 10) == PageCount(1)


def test_the_scan_time_is_shared_by_a_calls_pdfs() -> None:
    spent = InflateBudget(until=0.0)  # (a call whose scan time is used up)
    assert pdf_pages(b"%PDF-1.5\n1 0 obj << /Type /Page >> endobj\n", spent) == PageCount(0, whole=False)
    assert pdf_pages(b"%PDF-1.5\n1 0 obj << /Type /Page >> endobj\n", InflateBudget()) == PageCount(1)


def test_the_pdfs_of_one_count_share_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted outside a guard (a budget's estimate), a conversation's PDFs still share one
    inflate and scan budget: many crafted PDFs cannot each take the whole of it."""
    from guardlayer.tokens import count_messages

    budgets: list[InflateBudget | None] = []
    real = media_module.pdf_pages

    def recording(data: bytes, budget: InflateBudget | None = None) -> PageCount:
        budgets.append(budget)  # (kept: ids of freed objects can recur)
        return real(data, budget)

    monkeypatch.setattr(media_module, "pdf_pages", recording)
    pdf = data_url(b"%PDF-1.5\n1 0 obj << /Type /Page >> endobj\n")
    parts = [{"type": "file", "file": {"filename": f"{i}.pdf", "file_data": pdf + " " * i}} for i in range(5)]
    count_messages([{"role": "user", "content": parts}], "gpt-4o")
    assert len(budgets) == 5 and budgets[0] is not None and all(b is budgets[0] for b in budgets)
