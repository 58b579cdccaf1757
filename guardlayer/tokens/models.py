"""What guardlayer knows per model: encoding, context window, chat overhead and price.

Names match by longest prefix (``gpt-4o-2024-08-06`` finds ``gpt-4o``, ``gpt-4.5-preview``
finds ``gpt-4.5``, not ``gpt-4``); a provider prefix such as ``openai/`` is ignored, a fine-tuned
model (``ft:gpt-4o-mini-2024-07-18:org::id``) is its base model and Azure's ``gpt-35-turbo`` is
``gpt-3.5-turbo``. Extend the table with `register_model`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .counters import Count, Estimator, HFTokenizerCounter, TiktokenCounter, TokenCounter
from .encodings import encoding_from_file, load_encoding


@dataclass(frozen=True)
class ModelInfo:
    """One model family. ``encoding`` is a known encoding name, or None when guardlayer has no
    local tokenizer for it (counts are then estimated). Prices are USD per million tokens."""

    encoding: str | None
    context_window: int
    input_price: float | None = None
    output_price: float | None = None
    tokens_per_message: int = 3
    tokens_per_name: int = 1
    reply_priming: int = 3
    counter: TokenCounter | None = None

    def cost(self, input_tokens: int, output_tokens: int) -> float | None:
        if self.input_price is None or self.output_price is None:
            return None
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6


_O, _C = "o200k_base", "cl100k_base"
# Encodings as tiktoken 0.14 maps these names (tiktoken/model.py: MODEL_TO_ENCODING and
# MODEL_PREFIX_TO_ENCODING; tests/test_tokens.py checks the table against it).
MODELS: dict[str, ModelInfo] = {
    "gpt-5": ModelInfo(_O, 400_000, 1.25, 10.0),
    "gpt-5-mini": ModelInfo(_O, 400_000, 0.25, 2.0),
    "gpt-5-nano": ModelInfo(_O, 400_000, 0.05, 0.40),
    # gpt-4.5: tiktoken maps the prefix "gpt-4.5-" to o200k_base. Window 128,000 and $75 / $150
    # per million tokens: OpenAI's figures for gpt-4.5-preview(-2025-02-27) as public model tables
    # quote them (e.g. Cline's src/shared/api.ts), not read from OpenAI's own pages here.
    "gpt-4.5": ModelInfo(_O, 128_000, 75.0, 150.0),
    "gpt-4.1": ModelInfo(_O, 1_047_576, 2.0, 8.0),
    "gpt-4.1-mini": ModelInfo(_O, 1_047_576, 0.40, 1.60),
    "gpt-4.1-nano": ModelInfo(_O, 1_047_576, 0.10, 0.40),
    "gpt-4o": ModelInfo(_O, 128_000, 2.50, 10.0),
    "gpt-4o-mini": ModelInfo(_O, 128_000, 0.15, 0.60),
    "chatgpt-4o": ModelInfo(_O, 128_000, 5.0, 15.0),
    "o1": ModelInfo(_O, 200_000, 15.0, 60.0),
    "o1-mini": ModelInfo(_O, 128_000, 1.10, 4.40),
    "o1-preview": ModelInfo(_O, 128_000, 15.0, 60.0),
    "o3": ModelInfo(_O, 200_000, 2.0, 8.0),
    "o3-mini": ModelInfo(_O, 200_000, 1.10, 4.40),
    "o4-mini": ModelInfo(_O, 200_000, 1.10, 4.40),
    "gpt-4": ModelInfo(_C, 8_192, 30.0, 60.0),
    "gpt-4-32k": ModelInfo(_C, 32_768, 60.0, 120.0),
    "gpt-4-turbo": ModelInfo(_C, 128_000, 10.0, 30.0),
    "gpt-4-1106": ModelInfo(_C, 128_000, 10.0, 30.0),
    "gpt-4-0125": ModelInfo(_C, 128_000, 10.0, 30.0),
    "gpt-3.5-turbo": ModelInfo(_C, 16_385, 0.50, 1.50),
    "gpt-3.5-turbo-0613": ModelInfo(_C, 4_096, 1.50, 2.0),
    "gpt-3.5-turbo-0301": ModelInfo(_C, 4_096, 1.50, 2.0, tokens_per_message=4, tokens_per_name=-1),
    "gpt-3.5-turbo-instruct": ModelInfo(_C, 4_096, 1.50, 2.0),
    "text-embedding-3-small": ModelInfo(_C, 8_191, 0.02, 0.0),
    "text-embedding-3-large": ModelInfo(_C, 8_191, 0.13, 0.0),
    "text-embedding-ada-002": ModelInfo(_C, 8_191, 0.10, 0.0),
    # No local tokenizer: counts are estimates (Count.exact is False).
    "claude": ModelInfo(None, 200_000),
    "gemini": ModelInfo(None, 1_048_576),
}

_lock = threading.Lock()
_counters: dict[str, TokenCounter] = {}
_table = [0]  # the table's version: `register_model` adds one
_found: dict[str, tuple[int, ModelInfo | None]] = {}
"""`model_info`'s answers by name, with the table's version they were found in (at most
`_FOUND_MOST` names: names come from providers' answers)."""
_FOUND_MOST = 1024


def register_model(prefix: str, *, encoding: str | None = None, context_window: int | None = None,
                   input_price: float | None = None, output_price: float | None = None,
                   counter: TokenCounter | None = None, tokenizer: str | Path | None = None,
                   **overhead: int) -> ModelInfo:
    """Add or change a model family. ``tokenizer`` is a local ``tokenizer.json`` or a
    tiktoken-format ``tokenizer.model`` (Llama 3); ``overhead`` sets tokens_per_message,
    tokens_per_name or reply_priming. Fields not given keep their current value."""
    if tokenizer is not None:
        path = Path(tokenizer)
        counter = (HFTokenizerCounter(path) if path.suffix == ".json"
                   else TiktokenCounter(encoding_from_file(path)))
    with _lock:
        base = MODELS.get(prefix) or _lookup(prefix) or ModelInfo(None, 0)
        changes: dict[str, Any] = {k: v for k, v in {
            "encoding": encoding, "context_window": context_window, "input_price": input_price,
            "output_price": output_price, "counter": counter}.items() if v is not None}
        info = replace(base, **changes, **overhead)
        if not info.context_window:
            raise ConfigError(f"register_model({prefix!r}) needs a context_window")
        MODELS[prefix] = info
        _table[0] += 1
        return info


def _base_name(model: str) -> str:
    """The name ``model`` is looked up by: lower case, without a provider prefix (``openai/``),
    a fine-tune (``ft:BASE:org::id``) as its base model, Azure's ``gpt-35-`` as ``gpt-3.5-``."""
    name = model.rsplit("/", 1)[-1].lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    if name.startswith("gpt-35-"):
        name = "gpt-3.5-" + name.removeprefix("gpt-35-")
    return name


def _lookup(model: str) -> ModelInfo | None:
    version = _table[0]  # (read before the table: an answer found in a changing table is not kept)
    found = _found.get(model)
    if found is not None and found[0] == version:
        return found[1]
    name = _base_name(model)
    best = max((p for p in MODELS if name.startswith(p.lower())), key=len, default=None)
    info = MODELS[best] if best is not None else None
    if len(_found) < _FOUND_MOST or model in _found:
        _found[model] = (version, info)
    return info


def model_info(model: str) -> ModelInfo | None:
    """The table entry for ``model`` (longest matching prefix), or None."""
    return _lookup(model)


def counter_for(model: str | None = None, *, encoding: str | None = None,
                exact: bool = False) -> TokenCounter:
    """The counter for a model (or an encoding name). Unknown models get the `Estimator`,
    unless ``exact`` is set, which raises `ConfigError` instead."""
    info = _lookup(model) if model else None
    if info is not None and info.counter is not None and encoding is None:
        return info.counter
    name = encoding or (info.encoding if info else None)
    if name is None:
        if exact:
            raise ConfigError(f"no exact tokenizer for model {model!r}: register one with "
                              "guardlayer.tokens.register_model(prefix, tokenizer=path)")
        return Estimator()
    if name not in _counters:
        counter = TiktokenCounter(load_encoding(name))
        with _lock:
            _counters.setdefault(name, counter)
    return _counters[name]


def count(text: str, model: str | None = None, *, encoding: str | None = None) -> Count:
    """Count ``text``'s tokens for ``model``: exact when a tokenizer is known, else estimated."""
    counter = counter_for(model, encoding=encoding)
    return Count(counter.count(text), counter.exact, counter.name,
                 0.0 if counter.exact else Estimator.error_bound)
