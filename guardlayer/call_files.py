"""Text files sent inline as ``data:text/...`` URLs (a Responses ``input_file``, an OpenAI chat
``file`` part): decoded, their text read as a document's, and a fixed text encoded back as it came
(the same charset, base64 or percent-encoding). Files of other types (PDFs, images) are not read."""
from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from .call_fields import strings_at
from .call_slot import Slot
from .errors import ConfigError
from .providers import field

MAX_INLINE_TEXT = 4 * 2**20
"""The largest inline text file read, in bytes: about a million tokens, the largest context
windows; a larger one is refused (a `ConfigError`)."""
FILE_DATA = {"input_file": ("file_data",), "file": ("file", "file_data")}
"""Where a file part of each kind keeps its inline data."""


def file_slots(arg: str, i: int | None, part: Any, at: tuple[Any, ...], where: str) -> list[Slot]:
    """The text of a file part's inline ``data:text/...`` URL, at path ``at`` (the part's), as a
    document; none for a file of another type or given by id or URL."""
    spec = FILE_DATA.get(field(part, "type"))
    out = []
    for path, data in strings_at(part, spec) if spec else []:
        read = inline_text(data, f"{where}.{'.'.join(path)}")
        if read is not None and read[1]:
            out.append(Slot(arg, i, "document", read[1], path=(*at, *path), encoded=read[0]))
    return out


def inline_text(data: str, where: str) -> tuple[str, str] | None:
    """The header (``data:text/plain;base64,``) and the decoded text of a ``data:text/...`` URL
    (None: ``data`` is not one); one the guards cannot decode, or larger than `MAX_INLINE_TEXT`,
    is refused."""
    head, comma, body = data.partition(",")
    if not comma or not head[:10].lower().startswith("data:text/"):
        return None
    charset, is_base64 = _encoding(head)
    body = "".join(body.split()) if is_base64 else body
    if (len(body) * 3 // 4 if is_base64 else len(body)) > MAX_INLINE_TEXT:
        raise ConfigError(f"{where} is an inline text file over {MAX_INLINE_TEXT} bytes, more than the guards "
                          "read: send it shorter, or as text")
    try:
        raw = base64.b64decode(body, validate=True) if is_base64 else unquote_to_bytes(body)
        return head + ",", raw.decode(charset)
    except (binascii.Error, ValueError, LookupError) as exc:  # (a bad charset, bytes not of it)
        raise ConfigError(f"{where} is an inline text file the guards cannot decode ({exc}): "
                          "send its text as a text part") from exc


def encoded(header: str, text: str) -> str:
    """``text`` as the data URL it was read from (`inline_text`'s ``header``)."""
    charset, is_base64 = _encoding(header.removesuffix(","))
    try:
        raw = text.encode(charset)
    except (UnicodeEncodeError, LookupError) as exc:
        raise ConfigError(f"the fixed text of an inline text file cannot be written in its charset "
                          f"{charset!r} ({exc})") from exc
    if is_base64:
        return header + base64.b64encode(raw).decode("ascii")
    return header + quote_from_bytes(raw, safe="")


def _encoding(head: str) -> tuple[str, bool]:
    """The charset (UTF-8 unless named) and whether base64, of a data URL's header."""
    params = [p.strip() for p in head.split(";")[1:]]
    charset = next((p.split("=", 1)[1].strip("\"' ") for p in params if p.lower().startswith("charset=")), "utf-8")
    return charset, bool(params) and params[-1].lower() == "base64"
