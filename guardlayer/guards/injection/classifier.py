"""The default classifier: a linear model over the word and character n-grams present in the
folded text (binary TF-IDF, L2-normalised), in pure Python. Weights ship in
``model/classifier.json.gz``; ``benchmarks/train_injection.py`` reproduces them (scikit-learn is
needed only there). Long texts are read in windows and the most suspicious window counts."""
from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from ...errors import ConfigError
from ...guard import REGEX_TIMEOUT

MODEL_DIR = Path(__file__).resolve().parent / "model"
DEFAULT_MODEL = MODEL_DIR / "classifier.json.gz"

_WORD = regex.compile(r"\w+")
WINDOW = 1500
"""Texts longer than this are read in windows of this many characters ..."""
STRIDE = 1400
MAX_WINDOWS = 12
"""... at most this many, spread evenly over the text (head and tail always included)."""


def ngrams(folded: str, char_range: tuple[int, int] = (3, 5),
           word_range: tuple[int, int] = (1, 2)) -> tuple[set[str], set[str]]:
    """The features of a folded text: the set of its word n-grams and the set of its character
    n-grams over the words joined by single spaces. Training and inference both call this."""
    words = _WORD.findall(folded, timeout=REGEX_TIMEOUT)
    word_feats: set[str] = set()
    for n in range(word_range[0], word_range[1] + 1):
        word_feats.update(words if n == 1 else [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)])
    joined = " " + " ".join(words) + " "
    char_feats: set[str] = set()
    for n in range(char_range[0], char_range[1] + 1):
        char_feats.update([joined[i:i + n] for i in range(len(joined) - n + 1)])
    return word_feats, char_feats


def feature_names(folded: str, char_range: tuple[int, int], word_range: tuple[int, int]) -> list[str]:
    """``ngrams`` as one list of prefixed names ("w:..." and "c:..."), as stored in model files."""
    word_feats, char_feats = ngrams(folded, char_range, word_range)
    return ["w:" + f for f in word_feats] + ["c:" + f for f in char_feats]


def windows(text: str) -> list[str]:
    """The parts of ``text`` the classifier reads (the whole text when it is short)."""
    if len(text) <= WINDOW:
        return [text]
    starts = list(range(0, len(text) - WINDOW + 1, STRIDE))
    if starts[-1] != len(text) - WINDOW:
        starts.append(len(text) - WINDOW)
    if len(starts) > MAX_WINDOWS:
        step = (len(starts) - 1) / (MAX_WINDOWS - 1)
        starts = [starts[round(i * step)] for i in range(MAX_WINDOWS)]
    return [text[s:s + WINDOW] for s in starts]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the classifier said about a text: probability, log-odds and the n-grams that pushed
    hardest towards "attack"."""

    probability: float
    logit: float
    top: tuple[str, ...]


class LinearModel:
    """Sparse linear model over binary TF-IDF features, L2-normalised:
    ``logit = bias + sum(idf_f * coef_f) / sqrt(sum(idf_f ** 2))`` over the n-grams present."""

    def __init__(self, weights: dict[str, tuple[float, float]], bias: float,
                 char_range: tuple[int, int], word_range: tuple[int, int], meta: dict[str, Any]) -> None:
        self.weights = weights
        self.bias = bias
        self.char_range = char_range
        self.word_range = word_range
        self.meta = meta
        # per kind (word, char): n-gram -> idf * coef and n-gram -> idf ** 2; the n-grams a text
        # shares with the model are found by set intersection and summed with float sums.
        kinds = ("w:", "c:")
        self._dot = tuple({f[2:]: i * c for f, (i, c) in weights.items() if f.startswith(k)} for k in kinds)
        self._sq = tuple({f[2:]: i * i for f, (i, _) in weights.items() if f.startswith(k)} for k in kinds)
        self._known = tuple(frozenset(t) for t in self._dot)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL) -> LinearModel:
        path = Path(path)
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            weights = {f: (idf, coef) for f, idf, coef in data["features"]}
            return cls(weights, float(data["bias"]), tuple(data["char_range"]), tuple(data["word_range"]),
                       data.get("meta", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot load the injection classifier from {path}: {exc}") from exc

    def save(self, path: str | Path) -> None:
        data = {"bias": self.bias, "char_range": list(self.char_range), "word_range": list(self.word_range),
                "meta": self.meta,
                "features": [[f, round(idf, 5), round(coef, 5)] for f, (idf, coef) in sorted(self.weights.items())]}
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
            json.dump(data, fh, separators=(",", ":"))

    def window_logit(self, folded: str) -> tuple[float, set[str]]:
        """Log-odds of one window, and the word n-grams of it that the model knows."""
        word_feats, char_feats = ngrams(folded, self.char_range, self.word_range)
        known = (word_feats & self._known[0], char_feats & self._known[1])
        norm = sum(map(self._sq[0].__getitem__, known[0])) + sum(map(self._sq[1].__getitem__, known[1]))
        if not norm:
            return self.bias, known[0]
        dot = sum(map(self._dot[0].__getitem__, known[0])) + sum(map(self._dot[1].__getitem__, known[1]))
        return self.bias + dot / math.sqrt(norm), known[0]

    def read(self, folded: str, top: int = 5) -> Reading:
        """Score ``folded`` text; long texts are scored window by window, keeping the worst."""
        logit, words = max((self.window_logit(part) for part in windows(folded)), key=lambda x: x[0])
        table = self._dot[0]
        terms = sorted((w for w in words if table[w] > 0), key=table.__getitem__, reverse=True)
        return Reading(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit)))), logit, tuple(terms[:top]))
