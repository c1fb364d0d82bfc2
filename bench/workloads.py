"""The workloads, the same documents for every server, and the rows they aim at.

The ``-apollo`` variants are what Apollo Client and Relay dashboards send:
``__typename`` in every selection set below the root and the selections as
named fragments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry import relay

from persistence.demo import DEMO_USERNAME
from persistence.models import Conversation, User

INBOX = """query Inbox {
  conversations(first: 50, orderBy: LAST_MESSAGE_AT_DESC) {
    edges { node {
      id title lastMessageAt
      persona { name }
      customer { username }
      messageCount
      lastMessage { content createdAt }
    } }
  }
}"""

DEEP = """query Deep {
  personas(first: 10) { edges { node {
    id name
    conversations(first: 10) { edges { node {
      id title
      messages(first: 20, orderBy: CREATED_AT_DESC) { edges { node {
        id role content createdAt
      } } }
    } } }
  } } }
}"""

BY_ID = """query ById($id: ID!) {
  node(id: $id) { ... on Conversation { id title persona { name } customer { username } } }
}"""

INBOX_APOLLO = """query InboxApollo {
  conversations(first: 50, orderBy: LAST_MESSAGE_AT_DESC) {
    __typename
    edges { __typename node { __typename ...InboxRow } }
  }
}

fragment InboxRow on Conversation {
  __typename id title lastMessageAt
  persona { __typename ...PersonaName }
  customer { __typename ...CustomerName }
  messageCount
  lastMessage { __typename ...MessagePreview }
}

fragment PersonaName on Persona { __typename name }

fragment CustomerName on Customer { __typename username }

fragment MessagePreview on Message { __typename content createdAt }"""

DEEP_APOLLO = """query DeepApollo {
  personas(first: 10) {
    __typename
    edges { __typename node { __typename ...PersonaThreads } }
  }
}

fragment PersonaThreads on Persona {
  __typename id name
  conversations(first: 10) {
    __typename
    edges { __typename node { __typename ...ConversationThread } }
  }
}

fragment ConversationThread on Conversation {
  __typename id title
  messages(first: 20, orderBy: CREATED_AT_DESC) {
    __typename
    edges { __typename node { __typename ...MessageRow } }
  }
}

fragment MessageRow on Message { __typename id role content createdAt }"""

WRITE = """mutation Write($input: PostMessagesInput!) {
  postMessages(input: $input) { messages { id } errors { message } }
}"""

# Where the statement-count targets of the issue apply.
STATEMENT_TARGETS = {"inbox": 5, "inbox-apollo": 5, "deep": 4, "deep-apollo": 4, "by-id": 3}
# The variants of a plain workload that only Concierge runs: the naive baseline
# would answer them, slowly, and the floor's answer is the same.
APOLLO_VARIANTS = {"inbox-apollo": "inbox", "deep-apollo": "deep"}
# Requests rotate over this many conversations (by-id reads, write appends).
ROTATION = 50


def global_id(type_name: str, row_id: UUID) -> str:
    """The Relay global id Concierge gives the row."""
    return relay.to_base64(type_name, str(row_id))


@dataclass(frozen=True)
class Workload:
    name: str
    bodies: tuple[bytes, ...]


@dataclass(frozen=True)
class Targets:
    """The demo operator and the conversations the workloads rotate over."""

    operator_id: UUID
    conversation_ids: tuple[UUID, ...]


async def find_targets(engine: AsyncEngine) -> Targets:
    """The demo operator and its most recently active conversations."""
    async with engine.connect() as connection:
        operator_id = await connection.scalar(select(User.id).where(User.username == DEMO_USERNAME))
        if operator_id is None:
            raise LookupError("no demo operator: seed the benchmark database first")
        conversation_ids = (
            await connection.scalars(
                select(Conversation.id)
                .where(Conversation.owner_id == operator_id)
                .order_by(
                    func.coalesce(Conversation.last_message_at, Conversation.created_at).desc()
                )
                .limit(ROTATION)
            )
        ).all()
    return Targets(operator_id, tuple(conversation_ids))


def _body(document: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": document, "variables": variables or {}}).encode()


def workloads(targets: Targets) -> list[Workload]:
    """Concierge's (and the naive baseline's) workloads, in the order they are run."""
    ids = [global_id("Conversation", id_) for id_ in targets.conversation_ids]
    messages = [
        {"role": "USER", "content": "Is Friday at 10:00 still free?"},
        {"role": "ASSISTANT", "content": "Yes, Friday at 10:00 is free. Shall I book it?"},
    ]
    return [
        Workload("inbox", (_body(INBOX),)),
        Workload("inbox-apollo", (_body(INBOX_APOLLO),)),
        Workload("deep", (_body(DEEP),)),
        Workload("deep-apollo", (_body(DEEP_APOLLO),)),
        Workload("by-id", tuple(_body(BY_ID, {"id": id_}) for id_ in ids)),
        Workload(
            "write",
            tuple(
                _body(WRITE, {"input": {"conversationId": id_, "messages": messages}})
                for id_ in ids
            ),
        ),
    ]
