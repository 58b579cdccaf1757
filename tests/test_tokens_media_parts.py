"""Media costs the review (R5) found too low: media in a list that mixes in a non-part, images
at a detail other than low, audio whose WAV header lies about its format."""
from __future__ import annotations

import base64
import struct

from guardlayer.tokens import count_messages
from guardlayer.tokens.chat import file_tokens
from guardlayer.tokens.media import (
    AUDIO_MIN_BYTES_PER_SECOND,
    AUDIO_TOKENS_PER_SECOND,
    IMAGE_PART_TOKENS,
    IMAGE_TOKENS,
    PDF_PAGE_TOKENS,
)
from tests.test_tokens_media import build_pdf, data_url, wav


def test_media_in_a_mixed_list_cost_as_media() -> None:
    """One element that is no part turned the list into JSON: a 20-page PDF counted as its
    base64 text (far less than its pages)."""
    part = {"type": "file", "file": {"filename": "a.pdf", "file_data": data_url(build_pdf(20))}}
    alone = count_messages([{"role": "user", "content": [part]}], "gpt-4o").tokens
    mixed = count_messages([{"role": "user", "content": [part, {"cache_control": {"type": "ephemeral"}}]}],
                           "gpt-4o").tokens
    assert alone >= 20 * PDF_PAGE_TOKENS
    assert alone < mixed < alone + 20


def image(detail: str | None) -> dict:
    inner = {"url": "https://example.com/a.png", **({"detail": detail} if detail else {})}
    return {"type": "image_url", "image_url": inner}


def test_an_image_costs_85_only_at_low_detail() -> None:
    assert file_tokens(image("low")) == IMAGE_PART_TOKENS == 85
    assert file_tokens(image("high")) == file_tokens(image("auto")) == file_tokens(image(None)) == IMAGE_TOKENS
    assert file_tokens({"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"}) == 85
    assert file_tokens({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}) == IMAGE_TOKENS
    assert IMAGE_TOKENS >= 1_105  # (gpt-4o's most at high detail)


def extensible_wav(sub_format: int, body: bytes) -> bytes:
    """An extensible WAV header (8 channels, 192 kHz, 32-bit: 6 MB a second) of ``sub_format``."""
    guid = struct.pack("<H", sub_format) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 8, 192_000, 192_000 * 32, 32, 32, 22, 32, 0) + guid
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE" + b"fmt "
            + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body)


def audio(data: bytes, fmt: str | None) -> dict:
    return {"type": "input_audio", "input_audio": {"data": base64.b64encode(data).decode(),
                                                   **({"format": fmt} if fmt else {})}}


def by_bytes(data: bytes) -> int:
    """What audio costs whose length is read from its bytes (at the lowest bitrate)."""
    return -(-len(data) * AUDIO_TOKENS_PER_SECOND // AUDIO_MIN_BYTES_PER_SECOND)


def test_a_wav_header_is_trusted_only_for_fixed_rate_audio_declared_as_wav() -> None:
    """An extensible header claiming 6 MB a second over MP3 data made 1 MB of audio cost 6
    tokens; an MP3 file with a WAV header likewise."""
    body = bytes(range(256)) * 4096
    mp3 = extensible_wav(0x0055, body)
    assert file_tokens(audio(mp3, "wav")) == by_bytes(mp3)
    pcm = extensible_wav(0x0001, body)
    assert file_tokens(audio(pcm, "wav")) == file_tokens(audio(pcm, None)) < 10
    assert file_tokens(audio(pcm, "mp3")) == by_bytes(pcm)
    plain = wav(2.0)
    assert file_tokens(audio(plain, "wav")) == 2 * AUDIO_TOKENS_PER_SECOND + 1
