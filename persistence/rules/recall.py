"""How recalled memories are ranked: cosine similarity to what is being talked
about, weighted with the memory's importance and how recently it was used.
Pure rules; the exact search applies them in Python, the pgvector search
writes the same formula in SQL (persistence/repositories/memories.py).

    score = similarity * w_similarity
          + importance * w_importance
          + 0.5 ** (age_days / half_life_days) * w_recency

``age_days`` counts from the memory's last recall (or its creation, if never
recalled), so memories in use stay fresh and unused ones fade.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from persistence.errors import Problem
from persistence.rules.values import between

SECONDS_PER_DAY = 86_400.0
MAX_K = 100
# How many nearest neighbours an approximate (HNSW) search takes before re-ranking
# by the full score: k times this, within the index's search breadth.
OVERSAMPLING = 4
MIN_CANDIDATES, MAX_CANDIDATES = 40, 1000


@dataclass(frozen=True)
class Weights:
    """The weights of a recall's score (see the module's formula)."""

    similarity: float = 1.0
    importance: float = 0.2
    recency: float = 0.1
    half_life_days: float = 30.0

    def problems(self) -> list[Problem | None]:
        return [
            between(self.similarity, ("weights", "similarity"), 0, 10),
            between(self.importance, ("weights", "importance"), 0, 10),
            between(self.recency, ("weights", "recency"), 0, 10),
            between(self.half_life_days, ("weights", "half_life_days"), 0.001, 36_500),
        ]


def candidates(k: int) -> int:
    """How many nearest neighbours to re-rank for a top ``k``."""
    return max(MIN_CANDIDATES, min(MAX_CANDIDATES, k * OVERSAMPLING))


# pgvector's HNSW search keeps this many candidates at least (its `ef_search`;
# pgvector's own default, 40, found 91% of the exact top 10 over 100,000
# memories of 1536 dimensions: bench/results/2026-12-01-memories.txt).
MIN_SEARCH_BREADTH = 100


def search_breadth(k: int) -> int:
    """The HNSW search breadth (``hnsw.ef_search``) for a top ``k``: never fewer
    than the neighbours re-ranked, nor than :data:`MIN_SEARCH_BREADTH`."""
    return max(MIN_SEARCH_BREADTH, candidates(k))


def unit(vector: Sequence[float]) -> NDArray[np.float32]:
    """``vector`` scaled to length 1 (a zero vector stays zero)."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


def recency(last_used: datetime, now: datetime, half_life_days: float) -> float:
    """1 for a memory used now, halving every ``half_life_days``."""
    age_days = max(0.0, (now - last_used).total_seconds() / SECONDS_PER_DAY)
    return math.pow(0.5, age_days / half_life_days)


def score(similarity: float, importance: float, freshness: float, weights: Weights) -> float:
    return (
        similarity * weights.similarity
        + importance * weights.importance
        + freshness * weights.recency
    )


def cosine_similarities(
    near: Sequence[float], embeddings: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Cosine similarity of ``near`` to each row of ``embeddings`` (zero rows: 0)."""
    if embeddings.size == 0:
        return np.zeros(0, dtype=np.float32)
    norms = np.linalg.norm(embeddings, axis=1)
    norms[norms == 0] = 1.0
    result: NDArray[np.float32] = (embeddings @ unit(near)) / norms
    return result
