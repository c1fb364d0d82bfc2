"""The benchmark's equivalence rules, on answers shaped as each server shapes them."""

from __future__ import annotations

from copy import deepcopy
from typing import Any
from uuid import UUID

import pytest

from bench.equivalence import NotEquivalent, check_same_rows, rows
from bench.workloads import global_id

CONVERSATION = UUID("01a19ae2-b406-782a-887a-5f19dd00fd04")


def _concierge() -> dict[str, Any]:
    return {
        "data": {
            "conversations": {
                "__typename": "ConversationConnection",
                "edges": [
                    {
                        "node": {
                            "__typename": "Conversation",
                            "id": global_id("Conversation", CONVERSATION),
                            "title": "Vera about prices",
                            "lastMessageAt": "2026-11-02T09:28:26.900000+00:00",
                            "persona": {"name": "Receptionist"},
                            "customer": {"username": "vera.schmidt90"},
                            "messageCount": 35,
                            "lastMessage": {
                                "content": "Great, see you then!",
                                "createdAt": "2026-11-02T09:28:26+00:00",
                            },
                        }
                    }
                ],
            }
        }
    }


def _postgraphile() -> dict[str, Any]:
    return {
        "data": {
            "allConversations": {
                "edges": [
                    {
                        "node": {
                            "rowId": str(CONVERSATION),
                            "title": "Vera about prices",
                            "lastMessageAt": "2026-11-02T10:28:26.9+01:00",
                            "personaByOwnerIdAndPersonaId": {"name": "Receptionist"},
                            "customerByOwnerIdAndCustomerId": {"username": "vera.schmidt90"},
                            "messageCount": {"totalCount": 35},
                            "lastMessage": {
                                "nodes": [
                                    {
                                        "content": "Great, see you then!",
                                        "createdAt": "2026-11-02T09:28:26.000000+00:00",
                                    }
                                ]
                            },
                        }
                    }
                ]
            }
        }
    }


def test_rows_are_compared_by_meaning_whatever_each_server_calls_them():
    assert rows(_concierge()) == rows(_postgraphile())
    assert check_same_rows("inbox", {"concierge": _concierge(), "peer": _postgraphile()}) == 1
    assert rows(_concierge())[0]["id"] == CONVERSATION


def test_enums_compare_case_insensitively_and_a_missing_node_is_no_rows():
    assert rows({"data": {"node": {"role": "USER"}}}) == rows(
        {"data": {"allMessages": {"nodes": [{"role": "user"}]}}}
    )
    assert rows({"data": {"node": None}}) == []


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("title",), "Vera about parking", ".title"),
        (("messageCount", "totalCount"), 34, ".messageCount"),
        (("lastMessageAt",), "2026-11-02T09:28:27.9+00:00", ".lastMessageAt"),
        (("rowId",), "01a19ae2-b406-782a-887a-5f19dd00fd05", ".id"),
    ],
)
def test_a_different_value_fails_loudly_and_says_where(
    path: tuple[str, ...], value: Any, where: str
):
    theirs = deepcopy(_postgraphile())
    node = theirs["data"]["allConversations"]["edges"][0]["node"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(NotEquivalent, match=rf"inbox: concierge and peer differ at \[0\]{where}"):
        check_same_rows("inbox", {"concierge": _concierge(), "peer": theirs})


def test_missing_or_reordered_rows_fail():
    two = deepcopy(_concierge())
    edges = two["data"]["conversations"]["edges"]
    edges.append(deepcopy(edges[0]))
    edges[1]["node"]["title"] = "Ben about parking"
    swapped = deepcopy(two)
    swapped["data"]["conversations"]["edges"].reverse()
    with pytest.raises(NotEquivalent, match="2 rows != 1 rows"):
        check_same_rows("inbox", {"concierge": two, "peer": _postgraphile()})
    with pytest.raises(NotEquivalent, match=r"\[0\]\.title"):
        check_same_rows("inbox", {"concierge": two, "peer": swapped})
    with pytest.raises(NotEquivalent, match="answered no rows"):
        check_same_rows("inbox", {"concierge": {"data": {"node": None}}, "peer": two})
