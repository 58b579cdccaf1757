"""Media parts cost what providers bill for them, as an upper bound: a PDF by its pages (not a
token a byte: a 17-page 140 KB PDF counted 140k, real 20-35k), audio by its length (a 10 s WAV
counted as its base64 text: 291k), a Gemini image 258 (3 MB counted as text: 2.86M), a small
text file by its bytes (not a PDF page); a PDF's pages are read in compressed object streams too.
The PDFs are built here: real ones are not on every machine."""
from __future__ import annotations

import base64
import io
import math
import random
import wave
import zlib
from typing import Any

import pytest

from guardlayer import Blocked, guarded
from guardlayer.guards.limits import TokenLimit
from guardlayer.tokens import count_messages
from guardlayer.tokens.chat import file_tokens, referenced_files
from guardlayer.tokens.media import (
    AUDIO_MIN_BYTES_PER_SECOND,
    AUDIO_TOKENS_PER_SECOND,
    GEMINI_IMAGE_TOKENS,
    PDF_PAGE_TOKENS,
    pdf_pages,
)
from guardlayer.tokens.pdf import PageCount


def build_pdf(pages: int, *, image_bytes: int = 0, object_stream: bool = False, flate: bool = True) -> bytes:
    """A PDF of ``pages`` pages, each a line of text and an image of ``image_bytes`` random (as
    compressed) bytes; with ``object_stream`` the catalog and page objects sit in an object stream
    (PDF 1.5), Flate compressed unless not ``flate``. No cross-reference table: the count does not
    read one."""
    objects: dict[int, bytes] = {}
    plain: dict[int, bytes] = {}
    kids = []
    for i in range(pages):
        page, content, image = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        kids.append(f"{page} 0 R")
        plain[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
                       f"/Resources << /XObject << /Im0 {image} 0 R >> >> >>").encode()
        text = zlib.compress(f"BT /F1 12 Tf 72 720 Td (Page {i + 1} of the report) Tj ET".encode())
        objects[content] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(text), text)
        data = random.Random(i).randbytes(image_bytes)
        objects[image] = (b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /Filter /DCTDecode "
                          b"/Length %d >>\nstream\n%s\nendstream" % (len(data), data))
    plain[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    plain[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    if object_stream:
        bodies, offsets, at = [], [], 0
        for number, body in sorted(plain.items()):
            offsets.append(f"{number} {at}")
            bodies.append(body)
            at += len(body) + 1
        head = " ".join(offsets).encode() + b"\n"
        packed = zlib.compress(head + b"\n".join(bodies)) if flate else head + b"\n".join(bodies)
        objects[3 + 3 * pages] = (b"<< /Type /ObjStm /N %d /First %d %s/Length %d >>\nstream\n%s\nendstream"
                                  % (len(plain), len(head), b"/Filter /FlateDecode " * flate, len(packed), packed))
    else:
        objects.update(plain)
    out = [b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"]
    out += [b"%d 0 obj\n%s\nendobj\n" % (number, body) for number, body in sorted(objects.items())]
    return b"".join(out) + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def data_url(data: bytes, media_type: str = "application/pdf") -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def wav(seconds: float, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(random.Random(1).randbytes(int(seconds * rate) * 2))
    return out.getvalue()


@guarded(input=[TokenLimit(model="gpt-4o")])
def chat(messages: list) -> str:
    return "ok"


@guarded(input=[TokenLimit(model="gemini-2.0-flash")])
def gemini(**kwargs: Any) -> str:
    return "ok"


@pytest.mark.parametrize("object_stream", [False, True])
def test_a_pdf_costs_its_pages(object_stream: bool) -> None:
    pdf = build_pdf(7, image_bytes=2_000, object_stream=object_stream)
    assert pdf_pages(pdf) == PageCount(7)
    part = {"type": "file", "file": {"filename": "r.pdf", "file_data": data_url(pdf)}}
    assert file_tokens(part) == 7 * PDF_PAGE_TOKENS


def test_a_17_page_140_kb_pdf_fits_gpt_4o() -> None:
    """The shared-mime-info spec's size and pages: by the byte it was 140k tokens, over 128k."""
    pdf = build_pdf(17, image_bytes=8_000)
    assert len(pdf) > 136_000
    messages = [{"role": "user", "content": [{"type": "text", "text": "Summarize this spec."},
                                             {"type": "file", "file": {"filename": "spec.pdf",
                                                                       "file_data": data_url(pdf)}}]}]
    assert count_messages(messages, "gpt-4o").tokens < 17 * PDF_PAGE_TOKENS + 100
    assert chat(messages) == "ok"


def test_each_providers_pdf_is_costed_by_pages() -> None:
    pdf = build_pdf(3, image_bytes=30_000, object_stream=True)
    b64 = base64.b64encode(pdf).decode()
    for part in [{"type": "input_file", "filename": "a.pdf", "file_data": data_url(pdf)},
                 {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64}},
                 {"type": "file", "base64": b64, "mime_type": "application/pdf"},
                 {"type": "image_url", "image_url": {"url": data_url(pdf)}},  # (LiteLLM takes a PDF so)
                 {"type": "document_url", "document_url": data_url(pdf)},  # Mistral
                 {"inline_data": {"mime_type": "application/pdf", "data": b64}},  # Gemini
                 {"inline_data": {"mime_type": "application/pdf", "data": pdf}}]:  # google-genai: raw bytes
        assert file_tokens(part) == 3 * PDF_PAGE_TOKENS, part.get("type", "inline_data")


def test_a_pdf_whose_pages_cannot_be_read_costs_its_bytes() -> None:
    """An object stream that does not inflate (encrypted, another filter) or inflates past the
    cap stops the read: the file is then costed by its bytes, a page at least (and never below
    the pages found before: `tests/test_tokens_pdf_unreadable_bound.py`)."""
    broken = build_pdf(2, object_stream=True) + (b"9 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
                                                 + random.Random(3).randbytes(40_000) + b"\nendstream\nendobj\n")
    assert pdf_pages(build_pdf(2, object_stream=True)) == PageCount(2)
    assert pdf_pages(broken) == PageCount(2, whole=False)
    assert file_tokens({"type": "input_file", "file_data": data_url(broken)}) == len(broken)
    bomb = (b"%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
            + zlib.compress(b" " * (33 << 20)) + b"\nendstream")
    assert pdf_pages(bomb) == PageCount(0, whole=False)
    assert file_tokens({"type": "input_file", "file_data": data_url(bomb)}) == max(PDF_PAGE_TOKENS, len(bomb))


def test_only_a_pdf_costs_a_page_at_least() -> None:
    csv = b"a,b\n1,2\n"
    assert file_tokens({"type": "input_file", "filename": "a.csv", "file_data": data_url(csv, "text/csv")}) == 8
    assert file_tokens({"type": "input_file", "filename": "a.pdf", "file_data": data_url(csv)}) == PDF_PAGE_TOKENS


def test_a_wav_costs_its_length() -> None:
    """10 s at 16 kHz, 16 bits (320 KB): 320 tokens at Gemini's 32 a second (OpenAI bills ~100)."""
    audio = wav(10)
    b64 = base64.b64encode(audio).decode()
    expected = math.ceil(len(audio) / 32_000 * AUDIO_TOKENS_PER_SECOND)
    for part in [{"type": "input_audio", "input_audio": {"data": b64, "format": "wav"}},
                 {"type": "audio", "source_type": "base64", "data": b64, "mime_type": "audio/wav"},
                 {"type": "audio", "base64": b64, "mime_type": "audio/wav"},
                 {"inline_data": {"mime_type": "audio/wav", "data": b64}}]:
        assert file_tokens(part) == expected, part
    assert chat([{"role": "user", "content": [{"type": "input_audio",
                                               "input_audio": {"data": b64, "format": "wav"}}]}]) == "ok"


def test_other_audio_costs_its_bytes_at_the_lowest_bitrate() -> None:
    mp3 = b"ID3\x03\x00" + random.Random(5).randbytes(60_000)
    part = {"type": "input_audio", "input_audio": {"data": base64.b64encode(mp3).decode(), "format": "mp3"}}
    assert file_tokens(part) == math.ceil(len(mp3) / AUDIO_MIN_BYTES_PER_SECOND * AUDIO_TOKENS_PER_SECOND)
    lying = bytearray(wav(1))
    lying[28:32] = (10**9).to_bytes(4, "little")  # a byte rate its sample rate and frames do not give
    part = {"type": "input_audio", "input_audio": {"data": base64.b64encode(bytes(lying)).decode(), "format": "wav"}}
    assert file_tokens(part) == math.ceil(len(lying) / AUDIO_MIN_BYTES_PER_SECOND * AUDIO_TOKENS_PER_SECOND)


def test_a_gemini_image_costs_258_and_a_photo_alone_passes() -> None:
    photo = base64.b64encode(random.Random(7).randbytes(3_000_000)).decode()
    part = {"inline_data": {"mime_type": "image/jpeg", "data": photo}}
    assert file_tokens(part) == GEMINI_IMAGE_TOKENS
    assert gemini(model="gemini-2.0-flash", contents=[{"role": "user", "parts": [part]}]) == "ok"
    assert gemini(model="gemini-2.0-flash", contents=[{"role": "user", "parts": [{"text": "What is it?"}, part]}]) == "ok"


def test_gemini_text_parts_count_as_text() -> None:
    contents = [{"role": "user", "parts": [{"text": "hello there"}]}]
    assert count_messages(contents, "gpt-4o").tokens == count_messages(
        [{"role": "user", "content": [{"type": "text", "text": "hello there"}]}], "gpt-4o").tokens


@pytest.mark.parametrize("part", [
    {"inline_data": {"mime_type": "video/mp4", "data": base64.b64encode(b"\0" * 4000).decode()}},
    {"file_data": {"mime_type": "application/pdf", "file_uri": "gs://bucket/a.pdf"}},
    {"fileData": {"mimeType": "audio/mp3", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/x"}},
])
def test_gemini_video_and_files_by_uri_fail_closed(part: dict[str, Any]) -> None:
    contents = [{"role": "user", "parts": [{"text": "Describe it."}, part]}]
    with pytest.raises(Blocked, match="file_tokens"):
        gemini(model="gemini-2.0-flash", contents=contents)

    @guarded(input=[TokenLimit(model="gemini-2.0-flash", file_tokens=50_000)])
    def counted(**kwargs: Any) -> str:
        return "ok"

    assert counted(model="gemini-2.0-flash", contents=contents) == "ok"


URL_PDF = {"type": "document", "source": {"type": "url", "url": "https://example.org/a.pdf"}}


@pytest.mark.parametrize("message", [
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [URL_PDF]}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "text", "text": "see"}, {"type": "document", "source": {"type": "file", "file_id": "file_1"}}]}]},
    {"type": "function_call_output", "call_id": "c", "output": [{"type": "input_file", "file_url": "https://x/a.pdf"}]},
    {"role": "user", "parts": [{"file_data": {"mime_type": "application/pdf", "file_uri": "gs://b/a.pdf"}}]},
    {"role": "user", "content": [{"type": "document_url", "document_url": "https://example.org/a.pdf"}]},
    {"role": "user", "content": [{"type": "container_upload", "file_id": "file_1"}]},
    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.org/a.pdf?v=2"}}]},
    {"role": "user", "content": ["Summarize.", {"type": "file", "source_type": "url", "url": "https://x/a.pdf"}]},
])
def test_files_by_id_or_url_are_found_wherever_they_sit(message: dict[str, Any]) -> None:
    assert referenced_files([message]) == 1
    assert count_messages([message], "gpt-4o", referenced=30_000).tokens > 30_000


def test_a_tool_results_file_by_url_fails_closed() -> None:
    messages = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [URL_PDF]}]}]
    with pytest.raises(Blocked, match="file_tokens"):
        chat(messages)
