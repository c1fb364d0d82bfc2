"""The workloads, their documents for each server, and the rows they aim at.

Concierge and the naive baseline share a schema and so the documents; PostGraphile
gets the same reads written in its schema (owner scoping as a ``condition``,
orders spelled out), so that every server answers with the same rows (the
equivalence check compares them before anything is timed). The ``-apollo``
variants are what Apollo Client and Relay dashboards send: ``__typename`` in
every selection set below the root and the selections as named fragments.
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

# PostGraphile 5 (its Amber preset) names the primary key column rowId (its id
# is the node id), relations by their foreign key columns, and orders by columns:
# with every conversation holding messages, LAST_MESSAGE_AT_DESC, ROW_ID_DESC is
# Concierge's coalesce(last_message_at, created_at) DESC, id DESC.
PG_INBOX = """query Inbox($owner: UUID!) {
  allConversations(
    condition: {ownerId: $owner}, first: 50, orderBy: [LAST_MESSAGE_AT_DESC, ROW_ID_DESC]
  ) {
    edges { node {
      rowId title lastMessageAt
      personaByOwnerIdAndPersonaId { name }
      customerByOwnerIdAndCustomerId { username }
      messageCount: messagesByConversationId { totalCount }
      lastMessage: messagesByConversationId(first: 1, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
        nodes { content createdAt }
      }
    } }
  }
}"""

PG_DEEP = """query Deep($owner: UUID!) {
  allPersonas(condition: {ownerId: $owner}, first: 10, orderBy: [NAME_ASC, ROW_ID_ASC]) {
    edges { node {
      rowId name
      conversationsByOwnerIdAndPersonaId(
        first: 10, orderBy: [LAST_MESSAGE_AT_DESC, ROW_ID_DESC]
      ) { edges { node {
        rowId title
        messagesByConversationId(first: 20, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
          edges { node { rowId role content createdAt } }
        }
      } } }
    } }
  }
}"""

PG_BY_ID = """query ById($id: UUID!, $owner: UUID!) {
  allConversations(condition: {rowId: $id, ownerId: $owner}) {
    nodes {
      rowId title
      personaByOwnerIdAndPersonaId { name }
      customerByOwnerIdAndCustomerId { username }
    }
  }
}"""

PG_INBOX_APOLLO = """query InboxApollo($owner: UUID!) {
  allConversations(
    condition: {ownerId: $owner}, first: 50, orderBy: [LAST_MESSAGE_AT_DESC, ROW_ID_DESC]
  ) {
    __typename
    edges { __typename node { __typename ...InboxRow } }
  }
}

fragment InboxRow on Conversation {
  __typename rowId title lastMessageAt
  personaByOwnerIdAndPersonaId { __typename ...PersonaName }
  customerByOwnerIdAndCustomerId { __typename ...CustomerName }
  messageCount: messagesByConversationId { __typename totalCount }
  lastMessage: messagesByConversationId(first: 1, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
    __typename
    nodes { __typename ...MessagePreview }
  }
}

fragment PersonaName on Persona { __typename name }

fragment CustomerName on Customer { __typename username }

fragment MessagePreview on Message { __typename content createdAt }"""

PG_DEEP_APOLLO = """query DeepApollo($owner: UUID!) {
  allPersonas(condition: {ownerId: $owner}, first: 10, orderBy: [NAME_ASC, ROW_ID_ASC]) {
    __typename
    edges { __typename node { __typename ...PersonaThreads } }
  }
}

fragment PersonaThreads on Persona {
  __typename rowId name
  conversationsByOwnerIdAndPersonaId(first: 10, orderBy: [LAST_MESSAGE_AT_DESC, ROW_ID_DESC]) {
    __typename
    edges { __typename node { __typename ...ConversationThread } }
  }
}

fragment ConversationThread on Conversation {
  __typename rowId title
  messagesByConversationId(first: 20, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
    __typename
    edges { __typename node { __typename ...MessageRow } }
  }
}

fragment MessageRow on Message { __typename rowId role content createdAt }"""

# Where the statement-count targets of the issue apply.
STATEMENT_TARGETS = {"inbox": 4, "inbox-apollo": 4, "deep": 4, "deep-apollo": 4, "by-id": 3}
# The variants of a plain workload that only Concierge and PostGraphile run:
# the naive baseline would answer them, slowly, and the floor's answer is the same.
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


def postgraphile_workloads(targets: Targets) -> list[Workload]:
    """The same reads in PostGraphile's schema, scoped to the demo operator by a
    condition (it runs without authentication); by-id rotates over the same
    conversations, in the same order, as Concierge's."""
    owner = str(targets.operator_id)
    return [
        Workload("inbox", (_body(PG_INBOX, {"owner": owner}),)),
        Workload("inbox-apollo", (_body(PG_INBOX_APOLLO, {"owner": owner}),)),
        Workload("deep", (_body(PG_DEEP, {"owner": owner}),)),
        Workload("deep-apollo", (_body(PG_DEEP_APOLLO, {"owner": owner}),)),
        Workload(
            "by-id",
            tuple(
                _body(PG_BY_ID, {"id": str(id_), "owner": owner})
                for id_ in targets.conversation_ids
            ),
        ),
    ]
