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
from collections.abc import Iterator, Mapping, MutableMapping
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
    it is given by id or URL), its declared media type (lower case), file name, where a file's
    data sits in the part (its keys: ``("file", "file_data")``), and whether ``data`` is a copy
    (of a ``bytearray`` or ``memoryview``, which can change in place: never costed by its id)."""

    kind: MediaKind
    data: str | bytes | None = None
    media_type: str = ""
    name: str = ""
    image_tokens: int = IMAGE_TOKENS
    at: tuple[str, ...] = ()
    copied: bool = False

    @property
    def sized(self) -> bool:
        """Whether its cost can be read here: an image (a fixed cost), inline audio or file."""
        return self.kind == "image" or (self.data is not None and self.kind != "video")


@dataclass(frozen=True, slots=True)
class DataURL:
    """A data URL (RFC 2397) read: the URL, its header as given (``data:``, media type and
    parameters, up to and with the comma), its media type (lower case; "" when none, which means
    text/plain), its ``charset=`` (None unless named) and whether its body is base64."""

    url: str
    header: str
    media_type: str
    charset: str | None
    base64: bool

    @property
    def body(self) -> str:
        """What follows the header (a copy: read it once)."""
        return self.url[len(self.header):]


def read_data_url(text: str) -> DataURL | None:
    """``text`` read as a data URL; None when it is none (no ``data:`` scheme or no comma). The
    scheme, the media type, parameter names and ``;base64`` are read in any case (RFC 2397, RFC
    2045: ``DATA:Application/PDF;BASE64,`` is a PDF in base64)."""
    comma = text.find(",", 5) if text[:5].lower() == "data:" else -1
    if comma < 0:
        return None
    media_type, *params = text[5:comma].split(";")
    charset = next((p.split("=", 1)[1].strip("\"' ") for p in params if p.lstrip().lower().startswith("charset=")),
                   None)
    return DataURL(text, text[:comma + 1], media_type.strip().lower(), charset,
                   bool(params) and params[-1].strip().lower() == "base64")


_IMAGE = Media("image")
_LOW_DETAIL_IMAGE = Media("image", image_tokens=IMAGE_PART_TOKENS)


def media_of(part: Mapping[str, Any]) -> Media | None:
    """The media ``part`` carries, or None when it carries none (text, a tool call, a plain-text
    document or file, which count as text)."""
    kind = part.get("type")
    if kind is None:
        return _gemini(part)
    if kind in ("image_url", "image", "input_image"):
        held = part.get("image_url")
        url = _value(held, "url")
        inline = read_data_url(url) if isinstance(url, str) else None
        if inline is not None and not inline.media_type.startswith("image/"):  # (LiteLLM takes a PDF so)
            return _file(url, "", "", ("image_url", "url") if isinstance(held, Mapping) else ("image_url",))
        if inline is None and (path := _path(url)).endswith(".pdf"):
            return _file(None, "", path)
        detail = _value(held, "detail") if kind == "image_url" else part.get("detail")
        return _LOW_DETAIL_IMAGE if detail == "low" else _IMAGE
    if kind in ("input_audio", "audio"):
        inner = part.get("input_audio") if kind == "input_audio" else part.get("source", part)
        inner = inner if isinstance(inner, Mapping) else part
        fmt = inner.get("format")
        return _with_data("audio", _inline(inner)[0], str(inner.get("mime_type") or inner.get("media_type")
                                                          or (f"audio/{fmt}" if isinstance(fmt, str) else "")).lower())
    if kind in ("video_url", "video", "input_video"):
        return Media("video")
    if kind == "document_url":  # Mistral: a URL or a data URL
        url = part.get("document_url")
        if isinstance(url, str) and read_data_url(url) is not None:
            return _file(url, "", "", ("document_url",))
        return _file(None, "", _path(url))
    if kind == "container_upload":  # Anthropic: a file given by id
        return Media("file")
    if kind in ("file", "input_file", "document", "text-plain"):  # (text-plain: LangChain's plain-text file)
        key = "file" if kind == "file" and part.get("file") is not None else "source" if "source" in part else None
        inner = part if key is None else part[key]
        source: Mapping[str, Any] = inner if isinstance(inner, Mapping) else {}
        data, found = _inline(source)
        if (source.get("source_type") if inner is part else source.get("type")) in ("text", "content") or (
                kind == "text-plain" and found is None and isinstance(part.get("text"), str)):
            return None  # (text: counted as such)
        declared = (source.get("media_type") or source.get("mime_type") or part.get("mime_type")
                    or ("text/plain" if kind == "text-plain" else ""))  # (LangChain's text-plain: text/plain)
        return _file(data, str(declared), str(source.get("filename") or part.get("filename") or ""),
                     (*((key,) if key else ()), found) if found else ())
    return None


@dataclass
class _Call:
    """The media costed in one call so far (by their data's id; the part is kept, so the id stays
    its own), each with the inflate budget it was read within when that budget, which earlier
    reads had used of, ran out (its figure is kept for that phase only), and the inflate budget
    of the phase being costed."""

    costs: dict[int, tuple[Media, int, InflateBudget | None]] = field(default_factory=dict)
    budget: InflateBudget = field(default_factory=InflateBudget)


_CALL: ContextVar[_Call | None] = ContextVar("guardlayer_media_call", default=None)
_STATE_KEY = "media_costs"
"""Where `one_call` keeps a call's costs in the state it is given (a `Context`'s ``state``)."""


@contextmanager
def one_call(state: MutableMapping[str, Any] | None = None) -> Iterator[None]:
    """Within it, media are costed as one call's: each part once (a guard that cuts a conversation
    counts its messages again per cut) and its PDFs inflated and scanned within one
    `InflateBudget`; inside another, the outer one's. ``state`` (a call's ``ctx.state``) keeps
    the costs for the call's other phases (a guard's count, a budget's reserve and settle), each
    with a budget of its own; nothing is kept past the call. Enter it in plain functions, not
    across a generator's ``yield`` (a context variable is reset where it was set)."""
    if _CALL.get() is not None:
        yield
        return
    costs = state.setdefault(_STATE_KEY, {}) if state is not None else {}
    token = _CALL.set(_Call(costs))
    try:
        yield
    finally:
        _CALL.reset(token)


def media_tokens(media: Media) -> int:
    """What sized ``media`` (`Media.sized`) may cost: an image its fixed cost; audio its length
    (`audio_seconds`) at `AUDIO_TOKENS_PER_SECOND`; a PDF `PDF_PAGE_TOKENS` a page (`pdf_pages`),
    or, when it shows no page or its pages cannot all be counted, a token a byte, a page and the
    pages found at least (which can under-count a crafted PDF: see `guardlayer.tokens.pdf`);
    another file a token a byte (byte-level BPE spends at most a token a byte of text). Within
    `one_call`, a part already costed there is not read again (unless its data is a copy, or its
    PDF was left unread in an earlier phase by a budget that earlier reads had used of: one left
    unread by a fresh budget is read once a call)."""
    if media.kind == "image":
        return media.image_tokens
    if media.data is None or media.kind == "video":
        raise ValueError(f"a {media.kind} given by id or URL has no size to cost")
    call = _CALL.get()
    if call is None or media.copied:
        return _data_tokens(media, media.data, InflateBudget() if call is None else call.budget)
    held = call.costs.get(id(media.data))
    if held is None or held[0] != media or held[2] is not None and held[2] is not call.budget:
        fresh = call.budget.fresh()
        tokens = _data_tokens(media, media.data, call.budget)
        shared = call.budget.spent and not fresh
        held = call.costs[id(media.data)] = (media, tokens, call.budget if shared else None)
    return held[1]


def _data_tokens(media: Media, data: str | bytes, budget: InflateBudget) -> int:
    """`media_tokens` of inline audio or a file (``data``, its own), its PDFs inflated within
    ``budget``; base64 read each way a decoder may read it (`_readings`), the larger cost."""
    body, is_base64 = _body(data)
    size = len(body.rstrip(b"=")) * 3 // 4 if is_base64 else len(body)
    texts = _readings(body) if is_base64 else (body,)
    if media.kind == "audio":
        wav = media.media_type in _WAV_TYPES
        return max(math.ceil(audio_seconds(_decoded(text[:4096], is_base64) if wav else b"", size)
                             * AUDIO_TOKENS_PER_SECOND) for text in texts)
    declared = media.media_type == "application/pdf" or media.name.lower().endswith(".pdf")
    if not declared and all(b"%PDF-" not in _decoded(text[:2 * PDF_MAGIC_WITHIN], is_base64)[:PDF_MAGIC_WITHIN]
                            for text in texts):
        return size
    return max(_pdf_tokens(_decoded(text, is_base64), size, budget) for text in texts)


def _pdf_tokens(data: bytes, size: int, budget: InflateBudget) -> int:
    """What a PDF (``data``, of ``size`` bytes as sent) may cost: its pages when they were all
    counted, else (it shows none, or the read stopped) its bytes, a page and the pages found at
    least."""
    found = pdf_pages(data, budget)
    if found.whole and found.pages:
        return found.pages * PDF_PAGE_TOKENS
    return max(PDF_PAGE_TOKENS, size, found.pages * PDF_PAGE_TOKENS)


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
    key = "inline_data" if "inline_data" in part else "inlineData"
    inline = part.get(key)
    held = inline if isinstance(inline, Mapping) else part.get("file_data", part.get("fileData"))
    if not isinstance(held, Mapping):
        return None
    mime = str(held.get("mime_type") or held.get("mimeType") or "").lower()
    kind: MediaKind = next((k for k in ("image", "audio", "video") if mime.startswith(k + "/")), "file")
    data = held.get("data") if held is inline else None
    if not isinstance(data, (str, *_BYTES)):
        return Media(kind, None, mime, image_tokens=GEMINI_IMAGE_TOKENS)
    return _with_data(kind, data, mime, image_tokens=GEMINI_IMAGE_TOKENS, at=(key, "data"))


def _file(data: str | bytes | bytearray | memoryview | None, media_type: str, name: str,
          at: tuple[str, ...] = ()) -> Media:
    """A file part (its data at ``at``), its media type taken from a data URL when it declares none."""
    if not media_type and isinstance(data, str) and (inline := read_data_url(data)) is not None:
        media_type = inline.media_type
    return _with_data("file", data, media_type.lower(), name, at=at)


FROM_URL_SAFE = bytes.maketrans(b"-_", b"+/")
"""The URL-safe base64 alphabet's two characters as the standard one's (`binascii` drops them)."""
_JUNK = bytes(sorted(set(range(256)) - set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")))
"""Bytes of neither base64 alphabet, which lenient decoders drop (binascii, Python's `base64.b64decode`,
Node's ``Buffer.from``): white space (MIME's line breaks), stray characters."""
_BYTES = (bytes, bytearray, memoryview)
"""Raw bytes as SDKs take them (pydantic's ``bytes`` fields take all three and send their bytes)."""


def _with_data(kind: MediaKind, data: str | bytes | bytearray | memoryview | None, media_type: str,
               name: str = "", **more: Any) -> Media:
    """`Media` of inline ``data``: itself when it cannot change (str, bytes), else a copy of its bytes."""
    if data is None or isinstance(data, (str, bytes)):
        return Media(kind, data, media_type, name, **more)
    return Media(kind, bytes(data), media_type, name, copied=True, **more)


def _inline(source: Mapping[str, Any]) -> tuple[str | bytes | bytearray | memoryview | None, str | None]:
    """Inline data (base64, a data URL, raw bytes) and its key; None when the part gives an id or URL."""
    return next(((source[k], k) for k in ("file_data", "data", "base64") if isinstance(source.get(k), (str, *_BYTES))),
                (None, None))


def _value(value: Any, key: str) -> Any:
    """``value[key]`` of a mapping, or ``value`` itself (Mistral gives an image's URL as a string)."""
    return value.get(key) if isinstance(value, Mapping) else value


def _path(url: Any) -> str:
    """The path of a URL (no query or fragment), lower case; "" for a data URL or no string."""
    if not isinstance(url, str) or url[:5].lower() == "data:":
        return ""
    return url.partition("?")[0].partition("#")[0].lower()


def _body(data: str | bytes) -> tuple[bytes, bool]:
    """Inline data as bytes, and whether they are base64 (a data URL's body, or bare base64
    text); raw bytes are the file itself."""
    if isinstance(data, bytes):
        return data, False
    inline = read_data_url(data)
    if inline is not None and not inline.base64:
        return inline.body.encode("utf-8", "surrogatepass"), False
    return (data if inline is None else inline.body).encode("ascii", "replace"), True


def _readings(body: bytes) -> tuple[bytes, ...]:
    """Base64 ``body`` as lenient decoders read it, `_JUNK` dropped: RFC 4648's URL-safe ``-_``
    read as ``+/`` (as proto3 JSON takes a Gemini part's bytes, and Node reads them); when the
    standard ``+/`` occur too, also with ``-_`` dropped (as binascii and Python read them). Each
    with a ``=`` before its end is read with every ``=`` dropped too: Python's ``b64decode``
    passes over one that starts a quad and decodes the rest, where Node stops."""
    url_safe = b"-" in body or b"_" in body
    readings = (body.translate(FROM_URL_SAFE, _JUNK),) if url_safe else ()
    if not url_safe or b"+" in body or b"/" in body:
        readings += (body.translate(None, _JUNK + b"-_"),)
    return readings + tuple(text.replace(b"=", b"") for text in readings if b"=" in text.rstrip(b"="))


def _decoded(text: bytes, is_base64: bool) -> bytes:
    """``text`` decoded: raw bytes as they are, a reading of base64 (`_readings`) cut to whole
    quads; when a ``=`` inside it makes that fail, up to that ``=`` (where Node stops)."""
    if not is_base64:
        return text
    try:
        return binascii.a2b_base64(text[:len(text) // 4 * 4])
    except binascii.Error:
        return binascii.a2b_base64(text[:text.find(b"=") // 4 * 4])
