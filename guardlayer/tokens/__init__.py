"""Exact token counting per model family, offline (tiktoken with local, hash-verified
encoding files; a local ``tokenizer.json`` / ``tokenizer.model``), an estimator with a measured
error bound for the rest, and chat-message counting.

    >>> from guardlayer.tokens import count
    >>> count("hello world", "gpt-4").tokens
    2
"""
from __future__ import annotations

from .chat import count_messages, count_tools, message_text
from .counters import Count, Estimator, HFTokenizerCounter, TiktokenCounter, TokenCounter
from .encodings import LLAMA3_PATTERN, encoding_from_file, load_encoding
from .models import MODELS, ModelInfo, count, counter_for, model_info, register_model

__all__ = [
    "LLAMA3_PATTERN", "MODELS", "Count", "Estimator", "HFTokenizerCounter", "ModelInfo",
    "TiktokenCounter", "TokenCounter", "count", "count_messages", "count_tools", "counter_for",
    "encoding_from_file", "load_encoding", "message_text", "model_info", "register_model",
]
