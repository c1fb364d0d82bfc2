"""Checks every stored value keeps: pure, no database."""

from __future__ import annotations

import pytest

from persistence.errors import InvalidInput
from persistence.rules.values import MAX_JSON_BYTES, between, json_object, length, refuse


def test_lengths_count_characters_and_strip_only_for_the_minimum():
    assert length(None, ("name",), maximum=3) is None
    assert length("abc", ("name",), maximum=3) is None
    assert length("abcd", ("name",), maximum=3).message == "must be at most 3 characters"
    assert length("   ", ("name",), minimum=1, maximum=3).message == "must not be empty"


def test_ranges_say_their_bounds_as_written():
    assert between(5, ("n",), 1, 10) is None
    assert between(0, ("n",), 1, 10_000_000).message == "must be between 1 and 10000000"
    assert between(5.0, ("speed",), 0.25, 4).message == "must be between 0.25 and 4"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": 1}, None),
        ([1], "must be a JSON object"),
        ({"blob": "x" * MAX_JSON_BYTES}, f"must be at most {MAX_JSON_BYTES} bytes as JSON"),
    ],
)
def test_stored_json_is_an_object_of_bounded_size(value, message):
    found = json_object(value, ("extra_data",))

    assert (found.message if found else None) == message


def test_refuse_raises_every_problem_at_once_and_nothing_without_one():
    refuse([None, None])
    with pytest.raises(InvalidInput) as refused:
        refuse([length("abcd", ("a",), maximum=3), None, between(9, ("b",), 1, 2)])

    assert [problem.field for problem in refused.value.problems] == [("a",), ("b",)]
