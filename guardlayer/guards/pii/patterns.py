"""Presidio's pattern recognisers' ``analyze`` as one loop of ours: the same patterns, checks,
scores and results (a property test compares them with Presidio's own), without what costs
time and changes nothing here: its clock readings and debug logging per pattern, calls to
checks a recogniser does not override, explanations built for matches that are dropped, and
its duplicate removal when there is at most one result.

Only for plain recognisers (`is_plain`). Presidio's own ``analyze`` runs instead when a call
passes other regex flags or a pattern is not compiled with the recogniser's flags (Presidio
would compile it then). The time limit is Presidio's (the engine sets it to guardlayer's), and
a time-out fails the check (`engine.fail_closed`).
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any


def is_plain(recognizer: Any) -> bool:
    """Is ``recognizer`` a Presidio pattern recogniser that keeps Presidio's ``analyze``?"""
    from presidio_analyzer import PatternRecognizer

    return isinstance(recognizer, PatternRecognizer) and type(recognizer).analyze is PatternRecognizer.analyze


def pattern_analyze(recognizer: Any, patterns: list[Any] | None = None) -> Callable[..., list[Any]]:
    """What ``recognizer.analyze`` (a plain recogniser, see `is_plain`) returns when it holds
    only ``patterns`` (None: all its patterns); the recogniser itself is not changed."""
    import presidio_analyzer.pattern_recognizer as presidio_module
    from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult

    cls = type(recognizer)
    validate = recognizer.validate_result if cls.validate_result is not PatternRecognizer.validate_result else None
    invalidate = (recognizer.invalidate_result
                  if cls.invalidate_result is not PatternRecognizer.invalidate_result else None)
    if patterns is None or len(patterns) == len(recognizer.patterns):
        chosen, presidio = recognizer.patterns, recognizer
    else:
        chosen, presidio = list(patterns), copy.copy(recognizer)
        presidio.patterns = chosen
    low, high = EntityRecognizer.MIN_SCORE, EntityRecognizer.MAX_SCORE
    name_key, id_key = RecognizerResult.RECOGNIZER_NAME_KEY, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY

    def analyze(text: str, entities: list[str] | None = None, nlp_artifacts: Any = None,
                regex_flags: int | None = None) -> list[Any]:
        flags = regex_flags or recognizer.global_regex_flags
        if any(not p.compiled_regex or p.compiled_with_flags != flags for p in chosen):
            return PatternRecognizer.analyze(presidio, text, entities, nlp_artifacts, regex_flags)
        name, entity = recognizer.name, recognizer.supported_entities[0]
        results: list[Any] = []
        for pattern in chosen:
            for match in pattern.compiled_regex.finditer(text, timeout=presidio_module.REGEX_TIMEOUT_SECONDS):
                start, end = match.span()
                if start == end:
                    continue
                value = text[start:end]
                valid = validate(value) if validate else None
                score = pattern.score if valid is None else high if valid else low
                if invalidate and invalidate(value):
                    score = low
                if score > low:
                    explanation = recognizer.build_regex_explanation(
                        name, pattern.name, pattern.regex, pattern.score, valid, flags)
                    explanation.score = score
                    results.append(RecognizerResult(
                        entity, start, end, score, explanation,
                        {name_key: name, id_key: recognizer.id}))
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    return analyze
