"""Goal Attainment Scaling: the Kiresuk–Sherman T-score.

Each goal is rated on five levels, −2 (much less than expected) … 0 (expected)
… +2 (much more than expected). The summary T-score is

    T = 50 + 10·Σ(wᵢxᵢ) / √((1 − ρ)·Σwᵢ² + ρ·(Σwᵢ)²)

with ρ = 0.3, the conventional assumed correlation between goal scales
(Kiresuk & Sherman, 1968). T = 50 when every goal is at its expected level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

GAS_LEVELS = (-2, -1, 0, 1, 2)
DEFAULT_RHO = 0.3


def t_score(
    levels: Sequence[int], weights: Sequence[float] | None = None, *, rho: float = DEFAULT_RHO
) -> float:
    """The GAS T-score of goal levels (−2 … +2), equally weighted unless weights are given."""
    if not levels:
        raise ValueError("a T-score needs at least one goal")
    if any(level not in GAS_LEVELS for level in levels):
        raise ValueError("GAS levels are integers from -2 to +2")
    weights = [1.0] * len(levels) if weights is None else list(weights)
    if len(weights) != len(levels) or any(weight <= 0 for weight in weights):
        raise ValueError("one positive weight per goal")
    weighted = sum(w * x for w, x in zip(weights, levels, strict=True))
    spread = (1 - rho) * sum(w * w for w in weights) + rho * sum(weights) ** 2
    return 50 + 10 * weighted / math.sqrt(spread)
