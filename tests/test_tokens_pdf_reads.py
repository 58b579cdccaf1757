"""A PDF is read once for the counts of one call: the guard's count, a budget's reserve and its
settle each scanned it again (up to 0.5 s each on a crafted file). What is kept lives in the
call's ``ctx.state`` and is held by the data object itself (no other file, even one whose data
later takes the same id, reuses it); nothing is kept past the call, and a figure made when a
phase's scan budget had run out is not reused by the call's later phases."""
from __future__ import annotations

import gc
import sys
import time

import pytest

import guardlayer.tokens.media as media_module
from guardlayer import guarded, scope
from guardlayer.budget import Budget
from guardlayer.context import Scope
from guardlayer.guards.limits import TokenLimit
from guardlayer.tokens import count_messages
from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import PDF_PAGE_TOKENS, one_call
from guardlayer.tokens.pdf import PageCount
from tests.test_tokens_media import build_pdf, data_url


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pages of each PDF read (`pdf_pages` called)."""
    found: list[int] = []
    real = media_module.pdf_pages

    def counted(*args: object) -> PageCount:
        count = real(*args)  # type: ignore[arg-type]
        found.append(count.pages)
        return count

    monkeypatch.setattr(media_module, "pdf_pages", counted)
    return found


def _part(url: str) -> dict:
    return {"type": "file", "file": {"filename": "a.pdf", "file_data": url}}


def _guarded_chat() -> object:
    budget = Budget([{"per": "user", "tokens": 10_000_000, "window": "day"}], model="gpt-4o")

    @guarded(input=[TokenLimit(max_tokens=100_000, model="gpt-4o")], budget=budget)
    def chat(messages: list) -> str:
        return "ok"

    return chat


def test_a_guarded_call_with_a_budget_reads_its_pdf_once(reads: list[int]) -> None:
    chat = _guarded_chat()
    messages = [{"role": "user", "content": [{"type": "text", "text": "Summarize."}, _part(data_url(build_pdf(3)))]}]
    with scope(Scope(user="u")):
        assert chat(messages) == "ok"  # type: ignore[operator]
    assert reads == [3]
    assert count_messages(messages, "gpt-4o").tokens > 3 * PDF_PAGE_TOKENS and reads == [3, 3]  # (none kept)


def test_nothing_of_a_call_is_kept_after_it() -> None:
    """A user's PDF (personal data) was held by a process-global cache after the call returned
    (`last_report` holds the last call's messages in the caller's context: another call follows)."""
    url = data_url(build_pdf(2)) + "patient: Jane Roe"
    gc.collect()
    before = sys.getrefcount(url)
    chat = _guarded_chat()
    with scope(Scope(user="u")):
        assert chat([{"role": "user", "content": [_part(url)]}]) == "ok"  # type: ignore[operator]
        assert chat([{"role": "user", "content": "Thanks."}]) == "ok"  # type: ignore[operator]
    gc.collect()
    assert sys.getrefcount(url) == before


def test_another_file_never_reuses_a_count(reads: list[int]) -> None:
    """Files made and dropped one after another (their ids recur once freed) each count their
    own pages; the same bytes in another object are read anew."""
    with one_call(state := {}):
        for pages in range(1, 40):
            assert file_tokens(_part(data_url(build_pdf(pages)))) == pages * PDF_PAGE_TOKENS
    assert reads == list(range(1, 40)) and state
    url = data_url(build_pdf(2))
    assert file_tokens(_part(url)) == file_tokens(_part("" + url[:10] + url[10:])) == 2 * PDF_PAGE_TOKENS
    assert reads[-2:] == [2, 2]


def test_a_count_made_on_a_spent_budget_is_not_kept_for_later_phases(reads: list[int]) -> None:
    """A PDF left unread because the phase's scan time was spent (by other PDFs, or load) is costed
    by its bytes, far under its pages here; the call's next phase (a settle after the model's
    answer) has a scan budget of its own and reads it, and that reading is kept."""
    part, state = _part(data_url(build_pdf(200))), {}
    with one_call(state):
        media_module._CALL.get().budget.until = time.monotonic() - 1  # type: ignore[union-attr]
        spent = file_tokens(part)
        assert file_tokens(part) == spent < 200 * PDF_PAGE_TOKENS  # (the same phase: not read again)
    with one_call(state):
        assert file_tokens(part) == 200 * PDF_PAGE_TOKENS
    with one_call(state):
        assert file_tokens(part) == 200 * PDF_PAGE_TOKENS
    assert reads == [0, 200]


def test_raw_bytes_that_can_change_are_read_each_time() -> None:
    """Gemini inline data as a ``bytearray`` or ``memoryview`` (a pydantic bytes field takes both)
    was not read at all (costed as a file given by URI); it is read, and never by its id: changed
    in place, it counts anew."""
    data = bytearray(build_pdf(2))
    part = {"inline_data": {"mime_type": "application/pdf", "data": data}}
    with one_call({}):
        assert file_tokens(part) == 2 * PDF_PAGE_TOKENS
        data[:] = build_pdf(5)
        assert file_tokens(part) == 5 * PDF_PAGE_TOKENS
        assert file_tokens({"inline_data": {"mime_type": "application/pdf", "data": memoryview(data)}}) == (
            5 * PDF_PAGE_TOKENS)
