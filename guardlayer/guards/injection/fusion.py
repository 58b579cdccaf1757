"""Fusion: signature hits, behaviour cues and the classifier's log-odds become one calibrated
score in [0, 1]: ``sigmoid(bias + a * classifier_logit + b * evidence + sum(cues[c] for the cues
present))``, where ``evidence`` adds up the log-odds ``-ln(1 - weight)`` of the distinct
signatures that matched. ``a``, ``b``, ``bias`` and the cue weights are fitted (logistic
regression) by ``benchmarks/train_injection.py`` on out-of-source classifier predictions and
ship with the classifier weights."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_SIGNATURE_WEIGHT = 0.99


@dataclass(frozen=True, slots=True)
class Fusion:
    a: float = 1.0
    b: float = 1.0
    bias: float = 0.0
    cues: dict[str, float] = field(default_factory=dict)

    def evidence(self, weights: Iterable[float]) -> float:
        """Log-odds of the signatures (one weight per distinct signature)."""
        return sum(-math.log(1.0 - min(w, MAX_SIGNATURE_WEIGHT)) for w in weights)

    def score(self, classifier_logit: float | None, evidence: float, cues: Iterable[str] = ()) -> float:
        """The fused, calibrated risk; without a classifier only signatures and cues count."""
        z = self.bias + self.b * evidence + (self.a * classifier_logit if classifier_logit is not None else 0.0)
        z += sum(self.cues.get(c, 0.0) for c in set(cues))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
