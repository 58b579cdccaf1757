"""The default classifier: a linear model over the words, word pairs and in-word character
n-grams of the folded text, TF-IDF weighted and L2-normalised, in pure Python. Weights ship in
``model/classifier.json.gz``; ``benchmarks/train_injection.py`` reproduces them (scikit-learn is
needed only there).

Word n-grams count once per window. Character n-grams (3-5, inside each word padded with
spaces) count once per distinct word that has them, and the squared norm adds ``idf ** 2`` per
such word: so a word's whole contribution (``sum idf * coef`` and ``sum idf ** 2``) is two numbers,
worked out once per distinct word and cached. Long texts are read in windows of words, every
word in some window, and the most suspicious window counts."""
from __future__ import annotations

import functools
import gzip
import json
import math
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...guard import REGEX_TIMEOUT
from ...timed_regex import timed_compile

MODEL_DIR = Path(__file__).resolve().parent / "model"
DEFAULT_MODEL = MODEL_DIR / "classifier.json.gz"

WINDOW_WORDS = 256
"""Texts longer than this many words are read in windows of this many words ..."""
OVERLAP_WORDS = 32
"""... overlapping by this many words ..."""
MAX_WINDOWS = 48
"""... and at most this many: beyond that the windows grow so that they still cover every word."""
MAX_WORD_CHARS = 40
"""Character n-grams are taken from at most this many leading characters of a word (long runs
are encodings or noise; this bounds the work on them)."""
CACHE_MAX = 200_000
"""Distinct words whose known character n-grams are remembered (per model)."""
CHAR_GRAMS_MAX = 30_000
"""Per text, the distinct words (in order of first appearance) get their character n-grams read
until those add up to this many (about 1,500 distinct English words, 20-30 KB of prose); later
words count by their word features only. This bounds the work on long random text, and a text's
score never depends on what was read before it (the cache only saves time)."""

_WORD = timed_compile(r"\w+")
_first, _second = itemgetter(0), itemgetter(1)
_ASCII_WORD_CHARS = bytes(c if chr(c).isalnum() or c == ord("_") else ord(" ") for c in range(128)) + b" " * 128


def words_of(folded: str) -> list[str]:
    """The words of a folded text (runs of letters, digits and underscores: regex ``\\w+``)."""
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_WORD_CHARS).decode("ascii").split()
    return _WORD.findall(folded, timeout=REGEX_TIMEOUT)


def char_ngrams(word: str, char_range: tuple[int, int]) -> list[str]:
    """Character n-grams of one word (its first ``MAX_WORD_CHARS``) padded with a space on each side."""
    padded = f" {word[:MAX_WORD_CHARS]} "
    return [padded[i:i + n] for n in range(char_range[0], char_range[1] + 1) for i in range(len(padded) - n + 1)]


def feature_names(words: list[str], char_range: tuple[int, int], word_range: tuple[int, int]) -> list[str]:
    """The features of a window of words with their counts as the model sees them ("w:..." word
    n-grams once each, "c:..." character n-grams once per distinct word containing them): training
    counts this list; inference computes the same sums per word."""
    feats = set()
    for n in range(word_range[0], word_range[1] + 1):
        feats.update("w:" + " ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    out = sorted(feats)
    for word in sorted(set(words)):
        out += ["c:" + g for g in sorted(set(char_ngrams(word, char_range)))]
    return out


@functools.cache
def _gram_counts(char_range: tuple[int, int]) -> tuple[int, ...]:
    """How many character n-grams `char_ngrams` makes of a word, by the word's length."""
    lo, hi = char_range
    return tuple(sum(max(0, length + 2 - n + 1) for n in range(lo, hi + 1)) for length in range(MAX_WORD_CHARS + 1))


def windows(words: list[str]) -> list[list[str]]:
    """The parts of a text (as words) the classifier reads; together they cover every word."""
    if len(words) <= WINDOW_WORDS:
        return [words]
    size, stride = WINDOW_WORDS, WINDOW_WORDS - OVERLAP_WORDS
    if math.ceil((len(words) - size) / stride) + 1 > MAX_WINDOWS:
        stride = math.ceil((len(words) - OVERLAP_WORDS) / MAX_WINDOWS)
        size = stride + OVERLAP_WORDS
    starts = list(range(0, len(words) - size, stride)) + [len(words) - size]
    return [words[s:s + size] for s in starts]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the classifier said about a text: probability, log-odds and the words that pushed
    hardest towards "attack"."""

    probability: float
    logit: float
    top: tuple[str, ...]


class LinearModel:
    """Sparse linear model: ``logit = bias + sum(n_f * idf_f * coef_f) / sqrt(sum(n_f * idf_f ** 2))``
    over the features present, ``n_f`` being 1 for word n-grams and the number of distinct words
    containing it for character n-grams."""

    FORMAT = 2
    """Model files carry this number; files of another format are refused."""

    def __init__(self, weights: dict[str, tuple[float, float]], bias: float,
                 char_range: tuple[int, int], word_range: tuple[int, int], meta: dict[str, Any]) -> None:
        self.weights = weights
        self.bias = bias
        self.char_range = char_range
        self.word_range = word_range
        self.meta = meta
        # feature (without its "w:"/"c:" prefix) -> idf * coef and -> idf ** 2, per kind
        self._words = {f[2:]: i * c for f, (i, c) in weights.items() if f.startswith("w:")}
        self._words_sq = {f[2:]: i * i for f, (i, c) in weights.items() if f.startswith("w:")}
        self._chars = {f[2:]: (i * c, i * i) for f, (i, c) in weights.items() if f.startswith("c:")}
        # how the known character n-grams begin: a place in a word where none begins starts none
        self._heads = frozenset(gram[:char_range[0]] for gram in self._chars)
        # the known word n-grams of two words or more as tuples of words, by length: looked up as
        # such, n words of a window are joined only where they make a known n-gram
        self._tuples = {n: frozenset(tuple(g.split(" ")) for g in self._words if g.count(" ") == n - 1)
                        for n in range(max(word_range[0], 2), word_range[1] + 1)}
        self._cache: dict[str, tuple[float, float]] = {}

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL) -> LinearModel:
        path = Path(path)
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("format") != cls.FORMAT:
                raise ValueError(f"model format {data.get('format')!r}, expected {cls.FORMAT}: retrain it with "
                                 "benchmarks/train_injection.py")
            weights = {f: (idf, coef) for f, idf, coef in data["features"]}
            return cls(weights, float(data["bias"]), tuple(data["char_range"]), tuple(data["word_range"]),
                       data.get("meta", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot load the injection classifier from {path}: {exc}") from exc

    def save(self, path: str | Path) -> None:
        data = {"format": self.FORMAT, "bias": self.bias, "char_range": list(self.char_range), "word_range": list(self.word_range),
                "meta": self.meta,
                "features": [[f, round(idf, 4), round(coef, 4)] for f, (idf, coef) in sorted(self.weights.items())]}
        text = json.dumps(data, separators=(",", ":")).encode("utf-8")
        Path(path).write_bytes(gzip.compress(text, compresslevel=9, mtime=0))  # no time stamp: reproducible

    def _word_sums(self, word: str) -> tuple[float, float]:
        """``(sum idf * coef, sum idf ** 2)`` over the known character n-grams of ``word`` (cached).
        Only n-grams that begin where a known one does can be known (on text the model has not
        seen, such as random runs, a few, and in half of its words none)."""
        sums = self._cache.get(word)
        if sums is None:
            padded, (lo, hi), heads = f" {word[:MAX_WORD_CHARS]} ", self.char_range, self._heads
            size = len(padded)
            grams = {padded[i:i + n] for i in range(size - lo + 1) if padded[i:i + lo] in heads
                     for n in range(lo, min(hi, size - i) + 1)}
            known = list(filter(None, map(self._chars.get, grams))) if grams else ()
            sums = (sum(map(_first, known)), sum(map(_second, known)))
            if len(self._cache) < CACHE_MAX:
                self._cache[word] = sums
        return sums

    def _text_sums(self, words: list[str]) -> dict[str, tuple[float, float]]:
        """`_word_sums` of each distinct word, within the `CHAR_GRAMS_MAX` budget."""
        out: dict[str, tuple[float, float]] = {}
        distinct = list(dict.fromkeys(words))
        cost, left = _gram_counts(self.char_range), CHAR_GRAMS_MAX
        for i, word in enumerate(distinct):
            left -= cost[min(len(word), MAX_WORD_CHARS)]
            if left < 0:
                out.update(dict.fromkeys(distinct[i:], (0.0, 0.0)))
                break
            out[word] = self._word_sums(word)
        return out

    def window_logit(self, words: list[str], sums: dict[str, tuple[float, float]] | None = None) -> tuple[float, set[str]]:
        """Log-odds of one window of words, and the word features of it that the model knows.
        ``sums`` are the words' character n-gram sums when already worked out (`_text_sums`)."""
        lo, hi = self.word_range
        table, distinct = self._words, set(words)
        known_words = set(filter(table.__contains__, distinct)) if lo <= 1 <= hi else set()
        for n, known in self._tuples.items():
            known_words.update(map(" ".join, filter(known.__contains__, zip(*(words[k:] for k in range(n))))))
        pairs = list(map(sums.__getitem__ if sums is not None else self._word_sums, distinct))
        norm = sum(map(self._words_sq.__getitem__, known_words)) + sum(map(_second, pairs))
        if not norm:
            return self.bias, known_words
        dot = sum(map(table.__getitem__, known_words)) + sum(map(_first, pairs))
        return self.bias + dot / math.sqrt(norm), known_words

    def read(self, folded: str, top: int = 5) -> Reading:
        """Score ``folded`` text; long texts are scored window by window, keeping the worst."""
        words = words_of(folded)
        sums = self._text_sums(words)
        logit, feats = max((self.window_logit(part, sums) for part in windows(words)), key=lambda x: x[0])
        table = self._words
        terms = sorted((f for f in feats if table[f] > 0), key=table.__getitem__, reverse=True)
        return Reading(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit)))), logit, tuple(terms[:top]))
