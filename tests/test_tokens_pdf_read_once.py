"""A PDF left unread by a fresh inflate and scan budget (it spends the whole of one by itself)
is costed (by its bytes) once for the call: the guard's count, a budget's reserve and its settle
each read it again (up to 0.5 s of scanning each). One left unread because other PDFs had
used the budget first is read again by the call's next phase, with a budget of its own: so was
one left unread with over half the budget left, whose figure was kept for the call though a
fresh budget counts its pages."""
from __future__ import annotations

import zlib

from guardlayer import guarded, scope
from guardlayer.budget import Budget
from guardlayer.context import Scope
from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS, one_call
from guardlayer.tokens.pdf import INFLATE_BUDGET
from tests import test_tokens_pdf_reads as pdf_reads
from tests.test_tokens_media import build_pdf, data_url

reads = pdf_reads.reads


def _padding(inflated: int) -> bytes:
    """An object stream that inflates to ``inflated`` bytes (no page in it)."""
    packed = zlib.compress(b"1 0 " + b" " * inflated)
    return (b"999 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\n"
            b"stream\n%s\nendstream\nendobj\n" % (len(packed), packed))


BOMB = b"%PDF-1.5\n" + _padding(INFLATE_BUDGET)
"""A PDF that spends a whole budget by itself: it costs its bytes, a page at least."""
BOMB_COST = max(PDF_PAGE_TOKENS, len(BOMB))


def test_a_pdf_that_spends_a_whole_budget_is_read_once_in_a_call_with_a_budget(reads: list[int]) -> None:
    budget = Budget([{"per": "user", "tokens": 100_000_000, "window": "day"}], model="gpt-4o")

    @guarded(budget=budget)
    def chat(messages: list) -> str:
        return "ok"

    messages = [{"role": "user", "content": [{"type": "text", "text": "Summarize."}, pdf_reads._part(data_url(BOMB))]}]
    with scope(Scope(user="u")):
        assert chat(messages) == "ok"
    assert reads == [0]  # (one read, no page found)


def test_a_pdf_left_unread_by_an_earlier_pdf_is_read_by_the_next_phase(reads: list[int]) -> None:
    bomb = pdf_reads._part(data_url(BOMB))
    pdf = build_pdf(30, object_stream=True)
    part = pdf_reads._part(data_url(pdf))
    state: dict = {}
    with one_call(state):
        assert file_tokens(bomb) == BOMB_COST
        assert file_tokens(part) == max(PDF_PAGE_TOKENS, len(pdf)) < 30 * PDF_PAGE_TOKENS  # (the budget was spent)
    for _ in range(2):
        with one_call(state):
            assert file_tokens(bomb) == BOMB_COST
            assert file_tokens(part) == 30 * PDF_PAGE_TOKENS
    assert reads == [0, 0, 30]


def test_a_pdf_left_unread_with_over_half_the_budget_left_is_read_by_the_next_phase(reads: list[int]) -> None:
    """The first PDF leaves 60% of the budget, the second needs 65% of one before its pages: it was
    kept at its figure for the call (its bytes, a 17th of its pages' cost) though a fresh budget
    counts it."""
    first = pdf_reads._part(data_url(build_pdf(2) + _padding(INFLATE_BUDGET * 4 // 10)))
    second = pdf_reads._part(data_url(b"%PDF-1.5\n" + _padding(INFLATE_BUDGET * 65 // 100)
                                      + build_pdf(300, object_stream=True)))
    state: dict = {}
    with one_call(state):
        assert file_tokens(first) == 2 * PDF_PAGE_TOKENS
        assert file_tokens(second) < 300 * PDF_PAGE_TOKENS  # (left unread)
    with one_call(state):
        assert [file_tokens(first), file_tokens(second)] == [2 * PDF_PAGE_TOKENS, 300 * PDF_PAGE_TOKENS]
    assert reads == [2, 0, 300]
