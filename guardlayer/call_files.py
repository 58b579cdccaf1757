"""Text files sent inline (where `media_of` finds a part's file: a Responses ``input_file``, an
OpenAI chat ``file``, a LangChain base64 file or ``text-plain`` block, a Gemini ``inline_data``, a
data URL in an image or ``document_url`` part): decoded, their text read as a document's, and a
fixed text encoded back as it came (the same encoding and BOM; a data URL's header, base64 or
percent-encoding; bare base64; raw bytes). A file is text when its media type is ``text/*``, one of
`TEXT_APPLICATION_TYPES`, or, for a data URL in a file part, empty (RFC 2397's default); other
files (PDFs, images, office documents) are not read."""
from __future__ import annotations

import base64
import binascii
import codecs
from typing import Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from .call_slot import Slot
from .errors import ConfigError
from .guard import REGEX_TIMEOUT
from .providers import field
from .timed_regex import timed_compile
from .tokens.chat import as_mapping
from .tokens.media import FROM_URL_SAFE, media_of, read_data_url

MAX_INLINE_TEXT = 4 * 2**20
"""The largest inline text file read, in bytes: about a million tokens, the largest context
windows; a larger one is refused (a `ConfigError`)."""
FILE_PARTS = frozenset({"file", "input_file", "document", "text-plain"})
"""Parts that carry a file (a Gemini part carries one in ``inline_data``, with no type)."""
MEDIA_URL_PARTS = frozenset({"image_url", "input_image", "document_url"})
"""Parts whose data URL is read only when it names a text type: one naming none is no text file there."""
RAW, BASE64, URL_SAFE, UNPADDED = "bytes", "base64", "+url", "+unpadded"
"""How a file given as no data URL came, for `encoded`: raw bytes, or bare base64 text (tagged
when of the URL-safe alphabet, or with its padding left out)."""
TEXT_APPLICATION_TYPES = frozenset({
    "application/csv", "application/ecmascript", "application/graphql", "application/javascript",
    "application/json", "application/jsonl", "application/ndjson", "application/rtf", "application/sql",
    "application/tab-separated-values", "application/toml", "application/typescript",
    "application/x-csv", "application/x-httpd-php", "application/x-javascript", "application/x-jsonlines",
    "application/x-latex", "application/x-ndjson", "application/x-perl", "application/x-php",
    "application/x-python", "application/x-python-code", "application/x-ruby", "application/x-sh", "application/x-shellscript", "application/x-sql",
    "application/x-tex", "application/x-toml", "application/x-typescript", "application/x-yaml",
    "application/xml", "application/yaml"})
"""``application/*`` media types that are text, read as ``text/*`` is; so is any type with a
`TEXT_SUFFIXES` suffix (RFC 6839, RFC 9512: ``application/ld+json``, ``image/svg+xml``)."""
TEXT_SUFFIXES = ("+json", "+xml", "+yaml")
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
"""Byte-order marks and their encodings (UTF-32's first: UTF-16 LE's mark begins UTF-32 LE's)."""
GUESSES = ("utf-8", "cp1252", "latin-1")
"""Encodings tried in turn on a file with neither a ``charset=`` nor a BOM (latin-1 decodes any)."""
BOM_TAG = "+bom"
_TO_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_ASCII = bytes(range(128))
_UTF8_SEQUENCE = timed_compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")  # type: ignore[arg-type]
"""A UTF-8 sequence of several bytes: in a file that is not UTF-8 as a whole, a sign of mixed encodings."""


def file_slots(arg: str, i: int | None, part: Any, at: tuple[Any, ...], where: str) -> list[Slot]:
    """The text of the inline text file a part carries (`media_of`), at path ``at`` (the part's),
    as a document; none for a file of another type or given by id or URL."""
    kind = field(part, "type")
    if kind not in FILE_PARTS and kind not in MEDIA_URL_PARTS and (
            kind is not None or field(part, "inline_data", field(part, "inlineData")) is None):
        return []
    media = media_of(part if isinstance(part, dict) else as_mapping(part))
    if media is None or media.kind != "file" or media.data is None or kind in MEDIA_URL_PARTS and not media.media_type:
        return []
    read = inline_text(media.data, f"{where}.{'.'.join(media.at)}", media.media_type)
    return [Slot(arg, i, "document", read[1], path=(*at, *media.at), encoded=read[0])] if read and read[1] else []


def inline_text(data: str | bytes, where: str, media_type: str = "") -> tuple[str, str] | None:
    """How the text of an inline text file is written back (for `encoded`: its encoding, then how
    it came: a data URL's header, ``utf-8,data:text/plain;base64,``, or `RAW`, or `BASE64` and its
    tags) and the text (None: ``data`` is not such a file). ``data``: a data URL (of its own media
    type), or bare base64 text or raw bytes of ``media_type`` (parameters such as ``charset=``
    read). One the guards cannot decode, or larger than `MAX_INLINE_TEXT`, is refused."""
    inline = read_data_url(data) if isinstance(data, str) else None
    declared = inline or (read_data_url(f"data:{media_type},") if media_type else None)
    if declared is None or not _is_text(declared.media_type):
        return None
    if isinstance(data, bytes):
        how, body, is_base64 = RAW, data, False
    else:
        how, body, is_base64 = (BASE64, data, True) if inline is None else (inline.header, inline.body, inline.base64)
    size = len(body) * 3 // 4 if is_base64 else len(body)  # (white space in base64 counted: at most over)
    if size > MAX_INLINE_TEXT:
        raise ConfigError(f"{where} is an inline text file of about {size} bytes, over {MAX_INLINE_TEXT} bytes, the most "
                          "the guards read (about a million tokens, more than a model's context holds): "
                          f"split it into files of at most {MAX_INLINE_TEXT} bytes, each its own file part, "
                          "or send only the part the model needs")
    try:
        if isinstance(body, bytes):
            raw = body
        elif is_base64 and inline is None:
            raw, how = _base64(body)
        else:
            raw = base64.b64decode(_white_dropped(body), validate=True) if is_base64 else unquote_to_bytes(body)
        codec, bom, text = _decoded(raw, declared.charset)
    except (binascii.Error, ValueError, LookupError) as exc:  # (a bad charset, bytes not of it, not base64)
        raise ConfigError(f"{where} is an inline text file the guards cannot decode ({exc}): "
                          "send its text as a text part, or name its charset (charset=)") from exc
    if text is None:
        raise ConfigError(f"{where} is an inline text file the guards cannot decode (it holds NUL bytes, as "
                          "UTF-16 or UTF-32 without a byte-order mark does): name its charset (charset=) or add a BOM")
    return f"{codec}{BOM_TAG if bom else ''},{how}", text


def encoded(how: str, text: str) -> str | bytes:
    """``text`` as the file it was read from (``how``: `inline_text`'s first value): a data URL, bare
    base64 text or raw bytes."""
    codec, _, given = how.partition(",")
    bom = codec.endswith(BOM_TAG)
    codec = codec.removesuffix(BOM_TAG)
    try:
        raw = ("\ufeff" + text if bom else text).encode(codec)
    except (UnicodeEncodeError, LookupError) as exc:
        raise ConfigError(f"the fixed text of an inline text file cannot be written back in the file's encoding "
                          f"{codec!r} ({exc}): the fix holds characters it has not; send the file in UTF-8") from exc
    if given == RAW:
        return raw
    if given.startswith(BASE64):
        out = base64.b64encode(raw).translate(_TO_URL_SAFE if URL_SAFE in given else None)
        return (out.rstrip(b"=") if UNPADDED in given else out).decode("ascii")
    inline = read_data_url(given)
    return given + (base64.b64encode(raw).decode("ascii") if inline is not None and inline.base64
                    else quote_from_bytes(raw, safe=""))


def _base64(body: str) -> tuple[bytes, str]:
    """Bare base64 text decoded, and how it came (`BASE64` and its tags): of either alphabet
    (RFC 4648's URL-safe ``-_`` for ``+/``), padded or not, as proto3 JSON takes a ``bytes``
    field (a data URL's base64 is standard: RFC 2397). `ValueError` when it is none."""
    text = _white_dropped(body)
    how = BASE64 + (URL_SAFE if b"-" in text or b"_" in text else "") + (UNPADDED if len(text) % 4 else "")
    return base64.b64decode(text.translate(FROM_URL_SAFE) + b"=" * (-len(text) % 4), validate=True), how


def _white_dropped(body: str) -> bytes:
    """Base64 text as bytes, its white space (line breaks) dropped (`ValueError`: not ASCII)."""
    return body.encode("ascii").translate(None, b" \t\n\r\f\v")


def _is_text(media_type: str) -> bool:
    """Whether a data URL of this media type (lower case; empty means ``text/plain``) holds text."""
    return (not media_type or media_type.startswith("text/") or media_type in TEXT_APPLICATION_TYPES
            or media_type.endswith(TEXT_SUFFIXES))


def _decoded(raw: bytes, charset: str | None) -> tuple[str, bool, str | None]:
    """The encoding of ``raw``, whether it began with a BOM, and its text: the named charset (its
    own BOM dropped), else a BOM's encoding, else UTF-8, else cp1252 or latin-1 when no part of it
    is UTF-8 (no text: NUL bytes, not guessed). Refused (`ValueError`): a charset that does not
    read ASCII as ASCII (UTF-16 and UTF-32 aside), a mixed file, and UTF-16 or UTF-32 bytes
    (after any BOM) that are UTF-8 as well and read otherwise as such (the NULs dropped): real
    UTF-16 or UTF-32 that is valid UTF-8 is ASCII-range text, a NUL in every other or fourth byte,
    and reads the same; other bytes (ASCII text with a NUL or two, a BOM put before ASCII text)
    turn into other characters for the guards, not for a reader that takes them as UTF-8."""
    codec = codecs.lookup(charset).name if charset is not None else None
    marked = next(((mark, name) for mark, name in BOMS if raw.startswith(mark)), None)
    bom = marked is not None and (codec is None or _family(marked[1]) == _family(codec))
    if bom:
        codec, raw = marked[1], raw[len(marked[0]):]  # (its byte order named)
    if codec is not None and not _wide(codec) and not _reads_ascii(codec):
        raise ValueError(f"charset {charset!r} does not read ASCII as ASCII")
    if codec is not None:
        text = raw.decode(codec)
        if _wide(codec) and _is_utf8(raw) and raw.replace(b"\0", b"").decode("utf-8") != text.replace("\0", ""):
            raise ValueError(f"its bytes, read as {codec}, are UTF-8 text as well, another text")
        return codec, bom, text
    if b"\0" in raw:
        return GUESSES[0], False, None
    if _is_utf8(raw):
        return GUESSES[0], False, raw.decode(GUESSES[0])
    if _UTF8_SEQUENCE.search(raw, timeout=REGEX_TIMEOUT) is not None:
        raise ValueError("part of it is UTF-8 and part is not: send it in one encoding")
    for codec in GUESSES[1:-1]:
        try:
            return codec, False, raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return GUESSES[-1], False, raw.decode(GUESSES[-1])


def _family(codec: str) -> str:
    """``utf-16`` for utf-16, utf-16-le and utf-16-be (and so on); the codec's name otherwise."""
    return codec[:6] if _wide(codec) else codec


def _wide(codec: str) -> bool:
    return codec.startswith(("utf-16", "utf-32"))


def _reads_ascii(codec: str) -> bool:
    """Whether ``codec`` decodes ASCII bytes to the same characters (UTF-7 and EBCDIC do not)."""
    try:
        return _ASCII.decode(codec) == _ASCII.decode("ascii") and codec != "utf-7"
    except UnicodeDecodeError:
        return False


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
