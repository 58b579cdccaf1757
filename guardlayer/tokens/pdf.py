"""How many pages a PDF given in a call has, read from its bytes without trusting them.

The count is a bound for the token budget, read in one pass: page objects (``/Type /Page``, names
written with ``#xx`` escapes and comments between them read as a reader reads them; a ``/Type``
given by reference counts as one, as it may name ``/Page``), the largest ``/Count`` of a page
tree node as a floor, and the same in every compressed object stream (a stream whose dictionary
says ``/ObjStm`` or ``/First``), inflated from the bytes in place. An object stream without a
filter is plain text, read by the pass over the whole file.

The work is bounded whatever the bytes: at most `INFLATE_BUDGET` bytes inflated for a call (an
`InflateBudget` shared by its PDFs), `MAX_OBJECT_STREAMS` object streams, `MAX_STREAMS` streams,
`PAGE_CEILING` pages (past it the count is the ceiling, more than any provider accepts), one
timed scan.

Where the structure cannot be read with confidence the read stops and the count is not whole
(`PageCount.whole`): an object stream that does not inflate whole within the budget or is not of
one Flate filter (encrypted, doubly compressed, an unknown filter), too many object streams or
streams, the scan time spent. The caller then costs the file by its bytes, and never below the
pages found before the read stopped. That can under-count: what was left unread may hold more
pages than its bytes (compressed page objects take a few bytes each), and a crafted PDF can be
made to stop the read. Other ways to under-count remain: page objects that carry no ``/Type``
under a page tree whose ``/Count`` lies, pages in objects a reader repairs from a broken file. The
budget settles on the provider's reported usage after the call.
"""
from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from ..timed_regex import each_match, timed_compile

PDF_MAGIC_WITHIN = 1024
"""Bytes from the start a PDF's ``%PDF-`` header may sit after (readers tolerate leading junk)."""
PAGE_CEILING = 2_000
"""Pages past which a PDF is not counted further: providers refuse more than 100 (Anthropic) to
1,000 (Gemini) pages, so the count is already far over any limit."""
INFLATE_BUDGET = 4 << 20
"""Bytes the object streams of one call's PDFs may inflate to. An object stream holds object
dictionaries of a few hundred bytes (page objects about 150): 4 MiB holds some 20,000 objects,
ten times what `PAGE_CEILING` pages need; a PDF that needs more is not counted whole."""
MAX_OBJECT_STREAMS = 1_000
"""Object streams read in one PDF (a stream holds 100 to 200 objects: 2,000 pages need about
200); a PDF with more is not counted whole."""
SCAN_SECONDS = 0.5
"""Seconds all the scans of one call's PDFs may take together (a PDF still unread then is not
counted whole). They bound the pass over the ``stream`` keywords too: 50,000 streams take some
0.1 s."""
MAX_STREAMS = 100_000
"""Streams (opening ``stream`` keywords) looked at in one PDF: a slide deck or a form writes one
or a few a page for each image, mask and field appearance (a 100-slide deck with ten icons a
slide has 2,000); a PDF with more is not counted whole."""
_CHUNK = 64 << 10
"""Compressed bytes fed to the inflater at a time (from a memoryview: nothing is copied whole)."""
_BEFORE_STREAM = (b"\r", b"\n", b" ", b"\t", b"\f", b"\0", b">")
"""What may precede a ``stream`` keyword (``upstream`` in a text is none)."""
_DELIMITERS = rb"\0\t\n\f\r ()<>\[\]{}/%"
_END = rb"(?![^" + _DELIMITERS + rb"])"
_SEP = rb"(?:[\0\t\n\f\r ]|%[^\r\n]*+)*+"
"""White space and comments, which may stand between a key and its value (possessive: a comment
runs to the end of its line, and a ``%`` in it starts no other)."""


def _name(name: bytes) -> bytes:
    """A pattern for the PDF name ``/name``, any of its characters also written as ``#xx``."""
    return b"/" + b"".join(b"(?:%c|#(?i:%02x))" % (c, c) for c in name) + _END


_MARKS = timed_compile(_name(b"Type") + _SEP + rb"(?:" + _name(b"Page") + rb"|\d++" + _SEP + rb"\d++"  # type: ignore[arg-type]
                       + _SEP + rb"R" + _END + rb")|" + _name(b"Count") + _SEP + rb"(?P<count>\d{1,9})")
"""A page object's ``/Type /Page`` (not ``/Pages``), a ``/Type`` given by reference (which may
name ``/Page``: counted as one), a ``/Count``.
A number is read whole, as a reader reads it (possessive: ``\\d+`` then ``\\d+`` split a run of digits
after ``/Type`` at every place, 0.56 s on 16,000 digits)."""
_FLATE = rb"(?:" + _name(b"FlateDecode") + rb"|" + _name(b"Fl") + rb")"
_OBJECT_STREAM = timed_compile(_name(b"ObjStm") + rb"|" + _name(b"First") + _SEP + rb"\d++(?!" + _SEP  # type: ignore[arg-type]
                               + rb"\d++" + _SEP + rb"R" + _END + rb")")
"""What marks an object stream's dictionary: ``/Type /ObjStm``, or ``/First`` and a number (not a
reference: an outline's ``/First``; the number read whole: ``\\d+`` gave back a digit, and an
outline's ``/First 10 0 R`` matched as ``/First 1``)."""
_FILTER = timed_compile(_name(b"Filter"))  # type: ignore[arg-type]
_OTHER_FILTER = timed_compile(_name(b"Filter") + rb"(?!" + _SEP + rb"(?:" + _FLATE + rb"|\[" + _SEP + _FLATE  # type: ignore[arg-type]
                              + _SEP + rb"\]))")
"""A ``/Filter`` other than one Flate decode (a name, or an array of one)."""


@dataclass
class InflateBudget:
    """Bytes object streams may still inflate to, and the time scans may still take, shared by
    the PDFs of one call; ``spent`` once a PDF was left unread for want of either (a count made
    so says nothing of the PDF itself)."""

    left: int = INFLATE_BUDGET
    until: float | None = None  # (when the scan time ends: set by the first scan)
    spent: bool = False

    def fresh(self) -> bool:
        """Whether none of it was used: a PDF left unread from a fresh budget is left unread by
        another phase's too (short of a busier machine), so its figure stands for the call
        (`guardlayer.tokens.media.media_tokens`)."""
        return self.left == INFLATE_BUDGET and self.until is None and not self.spent

    def seconds(self) -> float:
        """The scan time left (`_Spent` once it is spent)."""
        if self.until is None:
            self.until = time.monotonic() + SCAN_SECONDS
        left = self.until - time.monotonic()
        if left <= 0:
            raise _Spent("past the scan time")
        return left


class _Unreadable(Exception):
    """The PDF's structure cannot be read with confidence: the read stops there."""


class _Spent(_Unreadable):
    """The budget ran out before the PDF was read."""


@dataclass
class _Tally:
    """Page objects found and the largest ``/Count``."""

    pages: int = 0
    floor: int = 0


@dataclass(frozen=True, slots=True)
class PageCount:
    """The pages found in a PDF, at most `PAGE_CEILING` (0: no PDF, or it shows none), and
    whether the read went through (False: it stopped, see the module's docstring; the PDF may
    have more pages than were found)."""

    pages: int
    whole: bool = True


def pdf_pages(data: bytes, budget: InflateBudget | None = None) -> PageCount:
    """How many pages the PDF ``data`` has (see the module's docstring). ``budget``: what object
    streams may inflate to and scans may take (shared by a call's PDFs; a fresh `InflateBudget`
    if None)."""
    if b"%PDF-" not in data[:PDF_MAGIC_WITHIN]:
        return PageCount(0)
    tally, budget, whole = _Tally(), budget or InflateBudget(), False
    try:
        _scan(data, tally, budget)
        for inflated in _object_streams(data, budget):
            if max(tally.pages, tally.floor) >= PAGE_CEILING:
                break
            _scan(inflated, tally, budget)
        whole = True
    except (_Spent, TimeoutError):  # (a scan cut at the time left)
        budget.spent = True
    except _Unreadable:
        pass  # (the pages found before it stopped stand)
    return PageCount(min(PAGE_CEILING, max(tally.pages, tally.floor)), whole)


def _scan(data: bytes, tally: _Tally, budget: InflateBudget) -> None:
    """Add ``data``'s page objects and ``/Count`` values to ``tally``, up to the ceiling."""
    for found in each_match(_MARKS, data, timeout=budget.seconds()):  # type: ignore[arg-type]
        if found["count"]:
            tally.floor = max(tally.floor, int(found["count"]))
        else:
            tally.pages += 1  # (a /Type /Page, or one given by reference)
        if max(tally.pages, tally.floor) >= PAGE_CEILING:
            return


def _object_streams(data: bytes, budget: InflateBudget) -> Iterator[bytes]:
    """The inflated content of each compressed object stream in ``data``, in order (a generator).
    A stream's dictionary is looked for in all the bytes since the previous stream (strings and
    padding cannot push it out of sight; each byte is looked at once); none of them may name
    another filter than one Flate, and an object stream with no filter is passed over (its
    objects are plain text, which `pdf_pages` scans whole)."""
    view, read, after, at, seen = memoryview(data), 0, 0, data.find(b"stream"), 0
    while at >= 0:
        budget.seconds()  # (the time bounds the keywords that open no stream: ``endstream``, text)
        start = at + 6
        if data[at - 1:at] in _BEFORE_STREAM and data[at - 3:at] != b"end":
            seen += 1
            if seen > MAX_STREAMS:
                raise _Unreadable("too many streams")
            before = data[after:at]
            if (_OBJECT_STREAM.search(before, timeout=budget.seconds()) is not None
                    and _FILTER.search(before, timeout=budget.seconds()) is not None):
                eol = 2 if data[start:start + 2] == b"\r\n" else int(data[start:start + 1] in (b"\n", b"\r"))
                if not eol or _OTHER_FILTER.search(before, timeout=budget.seconds()) is not None:
                    raise _Unreadable("an object stream not of one Flate filter")
                read += 1
                if read > MAX_OBJECT_STREAMS:
                    raise _Unreadable("too many object streams")
                inflated, used = _inflate(view, start + eol, budget)
                yield inflated
                start += eol + used
            after = start
        at = data.find(b"stream", start)


def _inflate(view: memoryview, start: int, budget: InflateBudget) -> tuple[bytes, int]:
    """The stream at ``start`` inflated whole, and the compressed bytes it took; `_Unreadable`
    when it does not inflate, is cut short, or would inflate past ``budget`` (spent from)."""
    inflater, pieces, at = zlib.decompressobj(), [], start
    while not inflater.eof:
        chunk = view[at:at + _CHUNK]
        if budget.left <= 0:  # (max_length 0 would mean no limit)
            raise _Spent("past the inflate budget")
        if not chunk:
            raise _Unreadable("an object stream cut short")
        try:
            piece = inflater.decompress(chunk, budget.left)
        except zlib.error as exc:
            raise _Unreadable("an object stream that does not inflate") from exc
        budget.left -= len(piece)
        pieces.append(piece)
        if inflater.unconsumed_tail:  # (stopped at the budget)
            raise _Spent("an object stream past the inflate budget")
        at += len(chunk)
    return b"".join(pieces), at - start - len(inflater.unused_data)
