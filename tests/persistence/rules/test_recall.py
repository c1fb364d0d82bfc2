"""The recall score's parts, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from persistence.rules import recall
from persistence.rules.recall import Weights

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_freshness_is_one_now_and_halves_every_half_life():
    assert recall.recency(NOW, NOW, 30) == 1.0
    assert recall.recency(NOW - timedelta(days=30), NOW, 30) == pytest.approx(0.5)
    assert recall.recency(NOW - timedelta(days=90), NOW, 30) == pytest.approx(0.125)
    # A clock that runs behind the row's time does not make it fresher than new.
    assert recall.recency(NOW + timedelta(days=1), NOW, 30) == 1.0


def test_the_score_weighs_similarity_importance_and_freshness():
    weights = Weights(similarity=1.0, importance=0.2, recency=0.1)

    assert recall.score(0.8, 0.5, 1.0, weights) == pytest.approx(0.8 + 0.1 + 0.1)
    assert recall.score(0.8, 0.5, 1.0, Weights(1.0, 0.0, 0.0)) == pytest.approx(0.8)


def test_cosine_similarity_ignores_length_and_scores_zero_vectors_zero():
    rows = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0], [0.0, 0.0]], dtype=np.float32)

    found = recall.cosine_similarities([5.0, 0.0], rows)

    assert found.tolist() == pytest.approx([1.0, 0.0, -1.0, 0.0])
    assert recall.cosine_similarities([1.0], np.zeros((0, 1), dtype=np.float32)).size == 0


def test_candidates_oversample_k_within_the_index_breadth():
    assert recall.candidates(1) == recall.MIN_CANDIDATES
    assert recall.candidates(50) == 200
    assert recall.candidates(10_000) == recall.MAX_CANDIDATES


def test_the_search_breadth_is_never_below_its_floor_nor_the_candidates():
    assert recall.search_breadth(1) == recall.MIN_SEARCH_BREADTH
    assert recall.search_breadth(10) == recall.MIN_SEARCH_BREADTH > recall.candidates(10)
    assert recall.search_breadth(50) == recall.candidates(50) == 200
    assert recall.search_breadth(10_000) == recall.MAX_CANDIDATES


def test_weights_out_of_range_are_problems_naming_their_field():
    problems = [p for p in Weights(similarity=-1, half_life_days=0).problems() if p]

    assert [p.field for p in problems] == [("weights", "similarity"), ("weights", "half_life_days")]
