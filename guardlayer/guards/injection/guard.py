"""`InjectionGuard`: prompt-injection and jailbreak detection for user text, documents and tool
output. Layers: folding (`guardlayer.normalize`, with words joined by one repeated character read
apart in a second copy, and copies with invisible characters read as spaces and with symbols
inside words, "igˆnore", dropped), decoding of embedded encodings, YAML signatures, behaviour
cues, a linear classifier, and their fusion into one score with a readable explanation. Documents
spotlighted inside the text (`guardlayer.spotlight`) are also read un-spotlighted, as documents."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from ...context import Context
from ...errors import ConfigError
from ...normalize import Folded, fold, in_word_symbols_hidden, invisible_as_spaces
from ...spotlight import Block, spotlighted_in, unspotlight_all
from ...verdict import Finding, Verdict
from .classifier import DEFAULT_MODEL, LinearModel, Reading
from .cues import cues_in
from .decode import MAX_DECODED_CHARS, Budget, Layer, decode_layers
from .fusion import Fusion
from .signatures import Hit, load_signatures, scan
from .suffix import crossed_brackets

UNTRUSTED_SOURCES = ("document", "tool")
_TAG_WEIGHT = 0.6
_INVISIBLE_WEIGHT = 0.3
_INVISIBLE_MIN = 3
_SUFFIX_WEIGHT = 0.8
DECODE_CHARS = (1024, 1024 * 1024)
"""The range of ``decode_chars`` (`InjectionGuard`)."""
_JOINED = "joined"  # the layer name of matches in the copy with joined words read apart
_APART = "apart"  # ... in the copy with invisible characters read as spaces
_IN_WORD = "in-word"  # ... and in the copy with symbols inside words dropped
_WHERE = {"text": "", _JOINED: " with joined words read apart", _APART: " with invisible characters read as spaces",
          _IN_WORD: " with symbols inside words dropped"}


@dataclass(frozen=True, slots=True)
class Match:
    """A signature hit located in the original text, with the layer it was found in."""

    hit: Hit
    layer: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the detector saw in one text."""

    score: float
    matches: tuple[Match, ...]
    classifier: Reading | None
    layers: tuple[str, ...]
    invisible: int
    signals: tuple[tuple[str, float], ...] = field(default=())
    cues: tuple[str, ...] = ()

    def explain(self, quote: bool = True) -> str:
        """What raised the score. ``quote``: with the matched text and the classifier's terms
        (the verdict's reason leaves them out: reasons get logged, and text can hold personal data)."""
        parts = []
        seen = set()
        for m in self.matches:
            key = (m.hit.signature.id, m.layer)
            if key in seen:
                continue
            seen.add(key)
            where = _WHERE.get(m.layer, f" in {m.layer}-decoded text")
            said = f": {m.hit.text.strip()[:60]!r}" if quote else ""
            parts.append(f"signature {m.hit.signature.id} ({m.hit.signature.category}, "
                         f"w={m.hit.signature.weight:g}){where}{said}")
        parts += [f"{name} (w={w:g})" for name, w in self.signals]
        if self.cues:
            parts.append("cues " + ", ".join(self.cues))
        if self.classifier is not None:
            terms = ", ".join(repr(t) for t in self.classifier.top[:4]) if quote else ""
            parts.append(f"classifier {self.classifier.probability:.2f}" + (f" (terms {terms})" if terms else ""))
        return "; ".join(parts) or "nothing suspicious"


def _blank(text: str, blocks: list[Block]) -> str:
    """``text`` with each of ``blocks`` written over with spaces (the same length: spans stay)."""
    pieces, end = [], 0
    for block in blocks:
        pieces += [text[end:block.start], " " * (block.end - block.start)]
        end = block.end
    return "".join(pieces) + text[end:]


class InjectionGuard:
    """Flags text that tries to override instructions, jailbreak the model, extract its prompt or
    secrets, fake role tokens, exfiltrate data or hide any of that in an encoding.

    ``threshold`` applies to user text, ``document_threshold`` to text whose ``ctx.source`` is
    ``"document"`` or ``"tool"`` (indirect injection: such text should carry no instructions).
    ``rules`` adds signature files or folders to the shipped ones (``shipped_rules=False`` drops
    those). ``model`` is a path to other classifier weights; ``classifier=False`` runs signatures only.
    ``decode_chars`` bounds the decoded text one check keeps and scans (`decode.MAX_DECODED_CHARS`
    by default; the decodings it may try grow in proportion): more reaches further into many or
    long encoded runs, at 0.6-0.8 ms per KB kept (noise-like text, one core).
    """

    name = "injection"

    def __init__(self, threshold: float = 0.5, document_threshold: float = 0.4,
                 rules: list[str | Path] | None = None, shipped_rules: bool = True,
                 model: str | None = None, classifier: bool = True,
                 decode_chars: int = MAX_DECODED_CHARS) -> None:
        for label, value in (("threshold", threshold), ("document_threshold", document_threshold)):
            if not 0.0 < value < 1.0:
                raise ConfigError(f"injection: {label} must be between 0 and 1, not {value!r}")
        lo, hi = DECODE_CHARS
        if isinstance(decode_chars, bool) or not isinstance(decode_chars, int) or not lo <= decode_chars <= hi:
            raise ConfigError(f"injection: decode_chars must be a whole number from {lo} to {hi}, not {decode_chars!r}")
        self.decode_chars = decode_chars
        self.threshold = threshold
        self.document_threshold = document_threshold
        self.signatures = load_signatures(rules or (), shipped=shipped_rules)
        if not self.signatures and not classifier:
            raise ConfigError("injection: no signatures and no classifier: nothing would be checked")
        self.model = LinearModel.load(Path(model) if model else DEFAULT_MODEL) if classifier else None
        params = (self.model.meta.get("fusion") if self.model else None) or {}
        self.fusion = Fusion(**params) if self.model else Fusion(a=0.0, b=1.0, bias=-1.5)

    def threshold_for(self, source: str) -> float:
        return self.document_threshold if source in UNTRUSTED_SOURCES else self.threshold

    def analyze(self, text: str) -> Analysis:
        """Score ``text`` without a context (the benchmark and the CLI use this)."""
        if not isinstance(text, str):
            raise TypeError(f"injection: expected text, not {type(text).__name__}")
        folded = fold(text, joiners=True)
        matches = [Match(h, "text", *self._span(folded, h)) for h in scan(self.signatures, folded.text)]
        cues = dict.fromkeys(cues_in(folded.text))
        views = [folded.text]
        # Second readings: words joined by one repeated character read apart; and, when invisible
        # characters are many, those read as spaces (folding drops them, so that "ign\u200bore" reads
        # "ignore", but words joined by them, "Ignore\u200ball\u200bprevious", then run together):
        # only when one stands between two visible characters (`invisible_as_spaces`): else the copy
        # reads as the text. And when one symbol sits inside words again and again ("igˆnore
        # preˆvious"), a copy without it there (`in_word_symbols_hidden`).
        spaced = invisible_as_spaces(text) if folded.invisible >= _INVISIBLE_MIN else None
        apart = fold(spaced) if spaced is not None else None
        hidden = in_word_symbols_hidden(text)
        in_word = fold(hidden) if hidden is not None else None
        for layer, copy in ((_JOINED, folded.joined), (_APART, apart), (_IN_WORD, in_word)):
            if copy is None:
                continue
            views.append(copy.text)
            seen = {m.hit.signature.id for m in matches}
            matches += [Match(h, layer, *self._span(copy, h))
                        for h in scan(self.signatures, copy.text) if h.signature.id not in seen]
            cues.update(dict.fromkeys(cues_in(copy.text)))
        layers = decode_layers(text, budget=Budget.keeping(self.decode_chars))
        # Each distinct decoded text is folded, scanned and read once, however many runs carry it.
        folds = {t: fold(t) for t in dict.fromkeys(layer.text for layer in layers)}
        inners = [folds[layer.text].text for layer in layers]
        found = {inner: (scan(self.signatures, inner), cues_in(inner)) for inner in inners}
        for layer, inner in zip(layers, inners):
            hits, inner_cues = found[inner]  # each placed at the run it was decoded from
            matches += [Match(h, layer.encoding, *layer.span(*self._span(folds[layer.text], h))) for h in hits]
            cues.update(dict.fromkeys(inner_cues))
        signals = []
        if any(layer.encoding == "unicode-tags" for layer in layers):
            signals.append(("hidden Unicode tag characters", _TAG_WEIGHT))
        elif folded.invisible >= _INVISIBLE_MIN:
            signals.append((f"{folded.invisible} invisible characters", _INVISIBLE_WEIGHT))
        if crossed := crossed_brackets(text):
            signals.append((f"optimiser-style suffix ({crossed} crossed brackets in prose)", _SUFFIX_WEIGHT))
        reading = self._read(views, layers, inners, matches)
        weights = {m.hit.signature.id: m.hit.signature.weight for m in matches}
        evidence = self.fusion.evidence([*weights.values(), *(w for _, w in signals)])
        score = self.fusion.score(reading.logit if reading else None, evidence, cues)
        return Analysis(score, tuple(matches), reading, tuple(dict.fromkeys(x.encoding for x in layers)),
                        folded.invisible, tuple(signals), tuple(cues))

    def _read(self, views: list[str], layers: list[Layer], inners: list[str], matches: list[Match]) -> Reading | None:
        """The classifier's worst reading of the folded text's ``views`` (the text and its copies)
        and its decoded layers (``inners``: their folded texts)."""
        if self.model is None:
            return None
        rot13_matched = any(m.layer == "rot13" for m in matches)
        texts = views + [inner for layer, inner in zip(layers, inners) if layer.encoding != "rot13" or rot13_matched]
        return max(map(self.model.read, dict.fromkeys(texts)), key=lambda r: r.logit)

    @staticmethod
    def _span(folded: Folded, hit: Hit) -> tuple[int, int]:
        if hit.end <= hit.start:
            return (folded.offsets[hit.start], folded.offsets[hit.start]) if hit.start < len(folded.offsets) else (0, 0)
        return folded.span(hit.start, hit.end)

    def _spotlighted(self, blocks: list[Block]) -> tuple[Analysis, list[Finding]]:
        """The analysis of spotlighted documents (``blocks``), read un-spotlighted (and those
        spotlighted inside them), with its findings: each spans its document's whole block."""
        documents = [unspotlight_all(block.document) for block in blocks]
        starts = [0]
        for document in documents[:-1]:
            starts.append(starts[-1] + len(document) + 2)
        joined = "\n\n".join(documents)
        analysis = self.analyze(joined)
        findings = []
        for m in analysis.matches:
            block: Block = blocks[bisect_right(starts, m.start) - 1]
            findings.append(Finding(m.hit.signature.category, block.start, block.end, joined[m.start:m.end][:200],
                                    m.hit.signature.weight,
                                    f"{m.hit.signature.id} ({m.layer}, spotlighted {block.mode} document)"))
        return analysis, findings

    def check(self, text: str, ctx: Context) -> Verdict:
        """Judge ``text`` at the threshold for ``ctx.source``; documents spotlighted in it are
        judged un-spotlighted, as documents, and left out of the rest (blanked: spans stay); and
        the whole text, un-spotlighted, is judged at ``ctx.source``'s threshold too, so that an
        attack cut into pieces by fake document headers is read whole."""
        blocks = list(spotlighted_in(text))
        analysis = self.analyze(_blank(text, blocks) if blocks else text)
        threshold = self.threshold_for(ctx.source)
        findings = [Finding(m.hit.signature.category, m.start, m.end, text[m.start:m.end][:200],
                            m.hit.signature.weight, f"{m.hit.signature.id} ({m.layer})")
                    for m in analysis.matches]
        meta = {"threshold": threshold, "source": ctx.source, "layers": list(analysis.layers),
                "signatures": sorted({m.hit.signature.id for m in analysis.matches}),
                "classifier": round(analysis.classifier.probability, 4) if analysis.classifier else None,
                "invisible": analysis.invisible, "cues": list(analysis.cues), "spotlighted": None}
        reason = f"injection score {analysis.score:.2f} (threshold {threshold:g}, {ctx.source}): {analysis.explain(quote=False)}"
        failed, score = analysis.score >= threshold, analysis.score
        if blocks:
            documents, more = self._spotlighted(blocks)
            findings += more
            meta["spotlighted"] = {"score": round(documents.score, 4), "layers": list(documents.layers),
                                   "signatures": sorted({m.hit.signature.id for m in documents.matches})}
            reason += (f"; spotlighted documents, read un-spotlighted: score {documents.score:.2f} (threshold "
                       f"{self.document_threshold:g}, document): {documents.explain(quote=False)}")
            failed, score = failed or documents.score >= self.document_threshold, max(score, documents.score)
            whole = self.analyze(unspotlight_all(text))
            if whole.score > score:
                reason += f"; the whole text, read un-spotlighted: score {whole.score:.2f}: {whole.explain(quote=False)}"
                failed, score = failed or whole.score >= threshold, whole.score
        if failed:
            return Verdict.fail(reason, score=score, findings=findings, meta=meta)
        return Verdict.ok(score=score, reason=reason, findings=findings, meta=meta)
