"""What the media parts of a call may cost: images, files (PDFs by their pages), audio and video,
as OpenAI chat and Responses, Anthropic, Gemini, Mistral and LangChain give them (`media_of`).

The figures are bounds read from the providers' documents, not measurements here: a PDF page
(`PDF_PAGE_TOKENS`), a second of audio (`AUDIO_TOKENS_PER_SECOND`), a Gemini image
(`GEMINI_IMAGE_TOKENS`). A file given by id or URL, and any video, has no cost that can be read
here (`Media.sized` is False): the caller decides what it counts as.
"""
from __future__ import annotations

import binascii
import math
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from .pdf import PDF_MAGIC_WITHIN, InflateBudget, pdf_pages

IMAGE_PART_TOKENS = 85
"""What one image part costs at ``detail: "low"`` (OpenAI)."""
IMAGE_TOKENS = 1_600
"""What one image part may cost at any other detail (or none given): the most of the families
here. OpenAI's gpt-4o at high detail: up to 1,105 (85 and 170 for each of up to six 512-pixel
tiles of the image scaled within 768 x 2,048); Anthropic: up to about 1,600 (width x height / 750,
at most 1.15 megapixels); Gemini: 258 a 768-pixel tile (its parts cost `GEMINI_IMAGE_TOKENS`).
Models that bill image tokens at a multiple (OpenAI's gpt-4o-mini) can cost more."""
GEMINI_IMAGE_TOKENS = 258
"""What Gemini bills an image of up to 384x384 pixels (ai.google.dev, "Understand and count
tokens"); a larger one is cut into 768x768 tiles of 258 each, so this is a floor, as 85 is."""
PDF_PAGE_TOKENS = 4_800
"""What one page of a PDF may cost. OpenAI bills a page as its extracted text plus an image of
it; Anthropic as 1,500-3,000 tokens of text a page plus an image (its PDF support page), an
image costing up to about 1,600 tokens (width x height / 750, at most 1.15 megapixels): 3,000 +
1,600, rounded up. A page of denser text (small print, tables) can cost more."""
AUDIO_TOKENS_PER_SECOND = 32
"""Gemini represents a second of audio as 32 tokens (its token guide); OpenAI's audio models
about 10 (a token per 100 ms): the higher is the bound."""
AUDIO_MIN_BYTES_PER_SECOND = 750
"""6 kbit/s, the lowest bitrate of Opus (RFC 6716), below MP3's (8 kbit/s, MPEG-2.5) and AAC's:
audio whose length cannot be read from a WAV header lasts at most its bytes over this."""
MediaKind = Literal["image", "audio", "video", "file"]
_WAV_FORMATS = frozenset({1, 3, 6, 7})
"""WAV formats of fixed bytes a second: PCM, IEEE float, A-law, mu-law; an extensible header
(0xFFFE) names its format in the first two bytes of its SubFormat GUID."""
_WAV_EXTENSIBLE = 0xFFFE
_WAV_TYPES = frozenset({"", "audio/wav", "audio/wave", "audio/x-wav", "audio/vnd.wave"})
"""Declared media types under which a WAV header is read (a file declared as MP3 is not)."""


@dataclass(frozen=True)
class Media:
    """One media part: its kind, its inline data (base64 text, a data URL or raw bytes; None when
    it is given by id or URL), its declared media type (lower case) and file name."""

    kind: MediaKind
    data: str | bytes | None = None
    media_type: str = ""
    name: str = ""
    image_tokens: int = IMAGE_TOKENS

    @property
    def sized(self) -> bool:
        """Whether its cost can be read here: an image (a fixed cost), inline audio or file."""
        return self.kind == "image" or (self.data is not None and self.kind != "video")


def media_of(part: Mapping[str, Any]) -> Media | None:
    """The media ``part`` carries, or None when it carries none (text, a tool call, a plain-text
    document or file, which count as text)."""
    kind = part.get("type")
    if kind is None:
        return _gemini(part)
    if kind in ("image_url", "image", "input_image"):
        url = _value(part.get("image_url"), "url")
        if isinstance(url, str) and (url.startswith("data:") and not url[5:].lower().startswith("image/")
                                     or _path(url).endswith(".pdf")):  # a PDF sent as an image (LiteLLM)
            return _file(url if url.startswith("data:") else None, "", _path(url))
        detail = _value(part.get("image_url"), "detail") if kind == "image_url" else part.get("detail")
        return Media("image", image_tokens=IMAGE_PART_TOKENS if detail == "low" else IMAGE_TOKENS)
    if kind in ("input_audio", "audio"):
        inner = part.get("input_audio") if kind == "input_audio" else part.get("source", part)
        inner = inner if isinstance(inner, Mapping) else part
        fmt = inner.get("format")
        return Media("audio", _inline(inner), str(inner.get("mime_type") or inner.get("media_type")
                                                   or (f"audio/{fmt}" if isinstance(fmt, str) else "")).lower())
    if kind in ("video_url", "video", "input_video"):
        return Media("video")
    if kind == "document_url":  # Mistral: a URL or a data URL
        url = part.get("document_url")
        return _file(url if isinstance(url, str) and url.startswith("data:") else None, "", _path(url))
    if kind == "container_upload":  # Anthropic: a file given by id
        return Media("file")
    if kind in ("file", "input_file", "document"):
        inner = part["file"] if kind == "file" and part.get("file") is not None else part.get("source", part)
        source: Mapping[str, Any] = inner if isinstance(inner, Mapping) else {}
        if (source.get("source_type") if inner is part else source.get("type")) in ("text", "content"):
            return None  # (text: counted as such)
        declared = source.get("media_type") or source.get("mime_type") or part.get("mime_type") or ""
        return _file(_inline(source), str(declared), str(source.get("filename") or part.get("filename") or ""))
    return None


@dataclass
class _Call:
    """The media costed in one call so far (by their data's id; the part is kept, so the id
    stays its own) and the inflate budget its PDFs share."""

    costs: dict[int, tuple[Media, int]] = field(default_factory=dict)
    budget: InflateBudget = field(default_factory=InflateBudget)


_CALL: ContextVar[_Call | None] = ContextVar("guardlayer_media_call", default=None)


@contextmanager
def one_call() -> Iterator[None]:
    """Within it, media are costed as one call's: each part once (a guard that cuts a conversation
    counts its messages again per cut) and its PDFs inflated and scanned within one
    `InflateBudget`; inside another, the outer one's."""
    if _CALL.get() is not None:
        yield
        return
    token = _CALL.set(_Call())
    try:
        yield
    finally:
        _CALL.reset(token)


def media_tokens(media: Media) -> int:
    """What sized ``media`` (`Media.sized`) may cost: an image its fixed cost; audio its length
    (`audio_seconds`) at `AUDIO_TOKENS_PER_SECOND`; a PDF `PDF_PAGE_TOKENS` a page
    (`pdf_pages`), or, when its pages cannot be counted, a token a byte and a page at least;
    another file a token a byte (byte-level BPE spends at most a token a byte of text). Within
    `one_call`, a part already costed there is not read again."""
    if media.kind == "image":
        return media.image_tokens
    if media.data is None or media.kind == "video":
        raise ValueError(f"a {media.kind} given by id or URL has no size to cost")
    call = _CALL.get()
    if call is None:
        return _data_tokens(media, media.data, InflateBudget())
    held = call.costs.get(id(media.data))
    if held is None or held[0] != media:
        held = call.costs[id(media.data)] = (media, _data_tokens(media, media.data, call.budget))
    return held[1]


def _data_tokens(media: Media, data: str | bytes, budget: InflateBudget) -> int:
    """`media_tokens` of inline audio or a file (``data``, its own), its PDFs inflated within
    ``budget``."""
    body, is_base64 = _body(data)
    size = len(body.rstrip(b"=")) * 3 // 4 if is_base64 else len(body)
    if media.kind == "audio":
        head = (_decoded(body[:4096], is_base64) or b"") if media.media_type in _WAV_TYPES else b""
        seconds = audio_seconds(head, size)
        return math.ceil(seconds * AUDIO_TOKENS_PER_SECOND)
    declared = media.media_type == "application/pdf" or media.name.lower().endswith(".pdf")
    head = _decoded(body[:2 * PDF_MAGIC_WITHIN], is_base64) or b""
    if not declared and b"%PDF-" not in head[:PDF_MAGIC_WITHIN]:
        return size
    pages = pdf_pages(_decoded(body, is_base64) or b"", budget)
    return pages * PDF_PAGE_TOKENS if pages else max(PDF_PAGE_TOKENS, size)


def audio_seconds(head: bytes, size: int) -> float:
    """How long audio of ``size`` bytes may last: read from a WAV header (``head``, the file's
    first bytes) when it is one of fixed bytes a second (`_WAV_FORMATS`), its size (header
    included) over its byte rate; else ``size`` at `AUDIO_MIN_BYTES_PER_SECOND`."""
    rate = _wav_byte_rate(head)
    return size / (rate or AUDIO_MIN_BYTES_PER_SECOND)


def _wav_byte_rate(head: bytes) -> int | None:
    """A WAV file's bytes a second from its ``fmt`` chunk, when they agree with its sample rate
    and frame size; None for other audio or a header that does not add up."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    at = 12
    while at + 8 <= len(head):
        chunk, length = head[at:at + 4], struct.unpack_from("<I", head, at + 4)[0]
        if chunk == b"fmt " and at + 24 <= len(head):
            fmt, channels, rate, per_second, frame = struct.unpack_from("<HHIIH", head, at + 8)
            if fmt == _WAV_EXTENSIBLE:
                fmt = struct.unpack_from("<H", head, at + 32)[0] if length >= 40 and at + 34 <= len(head) else 0
            ok = fmt in _WAV_FORMATS and channels and rate and frame and per_second == rate * frame
            return per_second if ok else None
        at += 8 + length + (length & 1)
    return None


def _gemini(part: Mapping[str, Any]) -> Media | None:
    """A Gemini part's media: ``inline_data`` by its mime type (an image `GEMINI_IMAGE_TOKENS`),
    ``file_data`` (a file by URI: an image costs as one, anything else is not sized here)."""
    inline = part.get("inline_data", part.get("inlineData"))
    held = inline if isinstance(inline, Mapping) else part.get("file_data", part.get("fileData"))
    if not isinstance(held, Mapping):
        return None
    mime = str(held.get("mime_type") or held.get("mimeType") or "").lower()
    kind: MediaKind = next((k for k in ("image", "audio", "video") if mime.startswith(k + "/")), "file")
    data = held.get("data") if held is inline else None
    return Media(kind, data if isinstance(data, (str, bytes)) else None, mime, image_tokens=GEMINI_IMAGE_TOKENS)


def _file(data: str | bytes | None, media_type: str, name: str) -> Media:
    """A file part, its media type taken from a data URL when it declares none."""
    if not media_type and isinstance(data, str) and data.startswith("data:"):
        media_type = data[5:].partition(",")[0].partition(";")[0]
    return Media("file", data, media_type.lower(), name)


def _inline(source: Mapping[str, Any]) -> str | bytes | None:
    """Inline data (base64, a data URL, raw bytes), None when the part gives an id or URL."""
    return next((source[k] for k in ("file_data", "data", "base64") if isinstance(source.get(k), (str, bytes))), None)


def _value(value: Any, key: str) -> Any:
    """``value[key]`` of a mapping, or ``value`` itself (Mistral gives an image's URL as a string)."""
    return value.get(key) if isinstance(value, Mapping) else value


def _path(url: Any) -> str:
    """The path of a URL (no query or fragment), lower case; "" for a data URL or no string."""
    if not isinstance(url, str) or url.startswith("data:"):
        return ""
    return url.partition("?")[0].partition("#")[0].lower()


def _body(data: str | bytes) -> tuple[bytes, bool]:
    """Inline data as bytes, and whether they are base64 (a data URL's body, or bare base64
    text); raw bytes are the file itself."""
    if isinstance(data, bytes):
        return data, False
    head, comma, body = data.partition(",") if data.startswith("data:") else ("", "", data)
    is_base64 = not comma or head.endswith(";base64")
    return body.encode("utf-8", "surrogatepass") if not is_base64 else body.encode("ascii", "replace"), is_base64


def _decoded(body: bytes, is_base64: bool) -> bytes | None:
    """``body`` decoded (a prefix cut to whole base64 quads); None when it is not base64."""
    if not is_base64:
        return body
    try:
        return binascii.a2b_base64(body[:len(body) // 4 * 4] if len(body) % 4 else body)
    except binascii.Error:
        return None
