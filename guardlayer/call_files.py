"""Text files sent inline as data URLs (a Responses ``input_file``, an OpenAI chat ``file`` part):
decoded, their text read as a document's, and a fixed text encoded back as it came (the same
encoding and BOM, base64 or percent-encoding). A file is text when its media type is ``text/*``,
empty (RFC 2397's default), or one of `TEXT_APPLICATION_TYPES`; other files (PDFs, images, office
documents) are not read."""
from __future__ import annotations

import base64
import binascii
import codecs
from typing import Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from .call_fields import strings_at
from .call_slot import Slot
from .errors import ConfigError
from .guard import REGEX_TIMEOUT
from .providers import field
from .timed_regex import timed_compile

MAX_INLINE_TEXT = 4 * 2**20
"""The largest inline text file read, in bytes: about a million tokens, the largest context
windows; a larger one is refused (a `ConfigError`)."""
FILE_DATA = {"input_file": ("file_data",), "file": ("file", "file_data")}
"""Where a file part of each kind keeps its inline data."""
TEXT_APPLICATION_TYPES = frozenset({
    "application/csv", "application/ecmascript", "application/graphql", "application/javascript",
    "application/json", "application/jsonl", "application/ndjson", "application/rtf", "application/sql",
    "application/tab-separated-values", "application/toml", "application/typescript",
    "application/x-csv", "application/x-httpd-php", "application/x-javascript", "application/x-jsonlines",
    "application/x-latex", "application/x-ndjson", "application/x-perl", "application/x-php",
    "application/x-ruby", "application/x-sh", "application/x-shellscript", "application/x-sql",
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
_ASCII = bytes(range(128))
_UTF8_SEQUENCE = timed_compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")  # type: ignore[arg-type]
"""A UTF-8 sequence of several bytes: in a file that is not UTF-8 as a whole, a sign of mixed encodings."""


def file_slots(arg: str, i: int | None, part: Any, at: tuple[Any, ...], where: str) -> list[Slot]:
    """The text of a file part's inline text data URL, at path ``at`` (the part's), as a document;
    none for a file of another type or given by id or URL."""
    spec = FILE_DATA.get(field(part, "type"))
    out = []
    for path, data in strings_at(part, spec) if spec else []:
        read = inline_text(data, f"{where}.{'.'.join(path)}")
        if read is not None and read[1]:
            out.append(Slot(arg, i, "document", read[1], path=(*at, *path), encoded=read[0]))
    return out


def inline_text(data: str, where: str) -> tuple[str, str] | None:
    """How the text of an inline text file is written back (for `encoded`: its encoding, then the
    header, ``utf-8,data:text/plain;base64,``) and the text (None: ``data`` is not such a file);
    one the guards cannot decode, or larger than `MAX_INLINE_TEXT`, is refused."""
    head, comma, body = data.partition(",")
    if not comma or head[:5].lower() != "data:" or not _is_text(head[5:].split(";")[0].strip().lower()):
        return None
    charset, is_base64 = _encoding(head)
    body = "".join(body.split()) if is_base64 else body
    size = len(body) * 3 // 4 if is_base64 else len(body)
    if size > MAX_INLINE_TEXT:
        raise ConfigError(f"{where} is an inline text file of about {size} bytes, over {MAX_INLINE_TEXT} bytes, the most "
                          "the guards read (about a million tokens, more than a model's context holds): "
                          f"split it into files of at most {MAX_INLINE_TEXT} bytes, each its own file part, "
                          "or send only the part the model needs")
    try:
        raw = base64.b64decode(body, validate=True) if is_base64 else unquote_to_bytes(body)
        codec, bom, text = _decoded(raw, charset)
    except (binascii.Error, ValueError, LookupError) as exc:  # (a bad charset, bytes not of it)
        raise ConfigError(f"{where} is an inline text file the guards cannot decode ({exc}): "
                          "send its text as a text part, or name its charset (charset=)") from exc
    if text is None:
        raise ConfigError(f"{where} is an inline text file the guards cannot decode (it holds NUL bytes, as "
                          "UTF-16 or UTF-32 without a byte-order mark does): name its charset (charset=) or add a BOM")
    return f"{codec}{BOM_TAG if bom else ''},{head},", text


def encoded(how: str, text: str) -> str:
    """``text`` as the data URL it was read from (``how``: `inline_text`'s first value)."""
    codec, _, header = how.partition(",")
    bom = codec.endswith(BOM_TAG)
    codec = codec.removesuffix(BOM_TAG)
    try:
        raw = ("\ufeff" + text if bom else text).encode(codec)
    except (UnicodeEncodeError, LookupError) as exc:
        raise ConfigError(f"the fixed text of an inline text file cannot be written back in the file's encoding "
                          f"{codec!r} ({exc}): the fix holds characters it has not; send the file in UTF-8") from exc
    if _encoding(header.removesuffix(","))[1]:
        return header + base64.b64encode(raw).decode("ascii")
    return header + quote_from_bytes(raw, safe="")


def _is_text(media_type: str) -> bool:
    """Whether a data URL of this media type (lower case; empty means ``text/plain``) holds text."""
    return (not media_type or media_type.startswith("text/") or media_type in TEXT_APPLICATION_TYPES
            or media_type.endswith(TEXT_SUFFIXES))


def _decoded(raw: bytes, charset: str | None) -> tuple[str, bool, str | None]:
    """The encoding of ``raw``, whether it began with a BOM, and its text: the named charset (its
    own BOM dropped), else a BOM's encoding, else UTF-8, else cp1252 or latin-1 when no part of it
    is UTF-8 (no text: NUL bytes, not guessed). Refused (`ValueError`): a charset that does not
    read ASCII as ASCII (UTF-16 and UTF-32 aside), a mixed file, and UTF-16 or UTF-32 bytes that
    are plain UTF-8 text as well (a BOM put before ASCII text turns it into other characters for
    the guards, not for a reader that takes it as UTF-8)."""
    codec = codecs.lookup(charset).name if charset is not None else None
    marked = next(((mark, name) for mark, name in BOMS if raw.startswith(mark)), None)
    bom = marked is not None and (codec is None or _family(marked[1]) == _family(codec))
    if bom:
        codec, raw = marked[1], raw[len(marked[0]):]  # (its byte order named)
    if codec is not None and not _wide(codec) and not _reads_ascii(codec):
        raise ValueError(f"charset {charset!r} does not read ASCII as ASCII")
    if codec is not None and _wide(codec) and b"\0" not in raw and _is_utf8(raw):
        raise ValueError(f"its bytes, read as {codec}, are plain UTF-8 text as well")
    if codec is not None:
        return codec, bom, raw.decode(codec)
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


def _encoding(head: str) -> tuple[str | None, bool]:
    """The charset (None unless named) and whether base64, of a data URL's header."""
    params = [p.strip() for p in head.split(";")[1:]]
    charset = next((p.split("=", 1)[1].strip("\"' ") for p in params if p.lower().startswith("charset=")), None)
    return charset, bool(params) and params[-1].lower() == "base64"
