"""The naive baseline: the benchmark's part of Concierge's schema, with the
per-object SQL of nested resolvers that a quick hand-written server has.

Every parent asks for its own children (N+1): the inbox issues one statement
per conversation for its persona, customer, count and last message.
"""

from __future__ import annotations

import asyncio
import enum
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.types import Info

from gql.auth.tokens import InvalidToken, bearer_token, read_token
from gql.settings import Settings, get_settings
from persistence import models
from persistence.engine import create_engine, create_session_factory


class Request:
    """One request's session, its lock (resolvers run concurrently) and viewer."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.lock = asyncio.Lock()
        self.viewer: models.User | None = None

    async def rows(self, statement: Any) -> list[Any]:
        async with self.lock:
            return list((await self.session.scalars(statement)).all())

    async def one(self, statement: Any) -> Any:
        async with self.lock:
            return await self.session.scalar(statement)


def _ctx(info: Info) -> Request:
    request: Request = info.context["naive"]
    return request


@strawberry.enum
class ConversationOrder(enum.Enum):
    LAST_MESSAGE_AT_DESC = "LAST_MESSAGE_AT_DESC"


@strawberry.enum
class MessageOrder(enum.Enum):
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


@strawberry.enum
class MessageRole(enum.Enum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


@strawberry.type
class Message(strawberry.relay.Node):
    id: strawberry.relay.NodeID[str]
    role: MessageRole
    content: str
    created_at: datetime

    @classmethod
    def of(cls, row: models.Message) -> Message:
        return cls(
            id=str(row.id), role=MessageRole(row.role), content=row.content,
            created_at=row.created_at,
        )  # fmt: skip


@strawberry.type
class MessageEdge:
    node: Message


@strawberry.type
class MessageConnection:
    edges: list[MessageEdge]


@strawberry.type
class Persona(strawberry.relay.Node):
    id: strawberry.relay.NodeID[str]
    name: str

    @strawberry.field
    async def conversations(
        self,
        info: Info,
        first: int = 20,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
    ) -> ConversationConnection:
        return await _recent_conversations(
            info, first, models.Conversation.persona_id == UUID(self.id)
        )


@strawberry.type
class Customer:
    username: str | None


@strawberry.type
class Conversation(strawberry.relay.Node):
    id: strawberry.relay.NodeID[str]
    title: str
    last_message_at: datetime | None
    persona_id: strawberry.Private[Any]
    customer_id: strawberry.Private[Any]

    @classmethod
    def of(cls, row: models.Conversation) -> Conversation:
        return cls(
            id=str(row.id), title=row.title, last_message_at=row.last_message_at,
            persona_id=row.persona_id, customer_id=row.customer_id,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[Conversation | None]:
        viewer = _ctx(info).viewer
        found = []
        for node_id in node_ids:
            row = await _ctx(info).one(
                select(models.Conversation).where(
                    models.Conversation.id == UUID(node_id),
                    models.Conversation.owner_id == viewer.id,
                )
            )
            found.append(cls.of(row) if row else None)
        return found

    @strawberry.field
    async def persona(self, info: Info) -> Persona | None:
        row = await _ctx(info).one(
            select(models.Persona).where(models.Persona.id == self.persona_id)
        )
        return Persona(id=str(row.id), name=row.name) if row else None

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        row = await _ctx(info).one(
            select(models.Customer).where(models.Customer.id == self.customer_id)
        )
        return Customer(username=row.username) if row else None

    @strawberry.field
    async def message_count(self, info: Info) -> int:
        return int(
            await _ctx(info).one(
                select(func.count()).where(models.Message.conversation_id == UUID(self.id))
            )
        )

    @strawberry.field
    async def last_message(self, info: Info) -> Message | None:
        row = await _ctx(info).one(
            select(models.Message)
            .where(models.Message.conversation_id == UUID(self.id))
            .order_by(models.Message.created_at.desc(), models.Message.id.desc())
            .limit(1)
        )
        return Message.of(row) if row else None

    @strawberry.field
    async def messages(
        self, info: Info, first: int = 20, order_by: MessageOrder = MessageOrder.CREATED_AT_ASC
    ) -> MessageConnection:
        newest = order_by is MessageOrder.CREATED_AT_DESC
        order = (models.Message.created_at, models.Message.id)
        rows = await _ctx(info).rows(
            select(models.Message)
            .where(models.Message.conversation_id == UUID(self.id))
            .order_by(*(column.desc() if newest else column for column in order))
            .limit(first)
        )
        return MessageConnection(edges=[MessageEdge(node=Message.of(row)) for row in rows])


_BY_ACTIVITY = (
    func.coalesce(models.Conversation.last_message_at, models.Conversation.created_at).desc(),
    models.Conversation.id.desc(),
)


async def _recent_conversations(
    info: Info, first: int, *where: ColumnElement[bool]
) -> ConversationConnection:
    """The viewer's most recently active conversations matching ``where``."""
    viewer = _ctx(info).viewer
    assert viewer is not None
    rows = await _ctx(info).rows(
        select(models.Conversation)
        .where(models.Conversation.owner_id == viewer.id, *where)
        .order_by(*_BY_ACTIVITY)
        .limit(first)
    )
    return ConversationConnection(edges=[ConversationEdge(node=Conversation.of(r)) for r in rows])


@strawberry.type
class ConversationEdge:
    node: Conversation


@strawberry.type
class ConversationConnection:
    edges: list[ConversationEdge]


@strawberry.type
class PersonaEdge:
    node: Persona


@strawberry.type
class PersonaConnection:
    edges: list[PersonaEdge]


@strawberry.type
class Query:
    node: strawberry.relay.Node | None = strawberry.relay.node()

    @strawberry.field
    async def conversations(
        self,
        info: Info,
        first: int = 20,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
    ) -> ConversationConnection:
        return await _recent_conversations(info, first)

    @strawberry.field
    async def personas(self, info: Info, first: int = 20) -> PersonaConnection:
        viewer = _ctx(info).viewer
        assert viewer is not None
        rows = await _ctx(info).rows(
            select(models.Persona)
            .where(models.Persona.owner_id == viewer.id)
            .order_by(models.Persona.name, models.Persona.id)
            .limit(first)
        )
        return PersonaConnection(
            edges=[PersonaEdge(node=Persona(id=str(row.id), name=row.name)) for row in rows]
        )


@strawberry.input
class MessageInput:
    role: MessageRole
    content: str


@strawberry.input
class PostMessagesInput:
    conversation_id: strawberry.relay.GlobalID
    messages: list[MessageInput]


@strawberry.type
class UserError:
    message: str


@strawberry.type
class PostMessagesPayload:
    messages: list[Message]
    errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def post_messages(self, info: Info, input: PostMessagesInput) -> PostMessagesPayload:
        request = _ctx(info)
        viewer = request.viewer
        assert viewer is not None
        conversation = await request.one(
            select(models.Conversation).where(
                models.Conversation.id == UUID(input.conversation_id.node_id),
                models.Conversation.owner_id == viewer.id,
            )
        )
        if conversation is None:
            return PostMessagesPayload(
                messages=[], errors=[UserError(message="conversation not found")]
            )
        rows = [
            models.Message(
                conversation_id=conversation.id,
                role=models.MessageRole(message.role.value),
                content=message.content,
            )
            for message in input.messages
        ]
        async with request.lock:
            for row in rows:
                request.session.add(row)
                await request.session.flush()  # one INSERT per message
            conversation.last_message_at = rows[-1].created_at
            # Added in SQL, as every writer of messages keeps the count.
            conversation.message_count = models.Conversation.message_count + len(rows)
            await request.session.commit()
        return PostMessagesPayload(messages=[Message.of(row) for row in rows], errors=[])


schema = strawberry.Schema(query=Query, mutation=Mutation, types=[Conversation])


class NaiveGraphQL(GraphQL[Any, None]):
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        super().__init__(schema, graphql_ide=None)
        self.sessions = create_session_factory(engine)
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Any:
        naive = Request(self.sessions())
        token = bearer_token(request.headers.get("authorization"))
        try:
            user_id = read_token(token, self.settings) if token else None
        except InvalidToken:
            user_id = None
        if user_id is not None:
            naive.viewer = await naive.one(
                select(models.User).where(models.User.id == user_id, models.User.is_active)
            )
        request.scope.setdefault("state", {})["naive"] = naive
        return {"request": request, "response": response, "naive": naive}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ClientDisconnect:
            pass  # wrk closes its connections mid-request when a run ends
        finally:
            naive = scope.get("state", {}).pop("naive", None)
            if naive is not None:
                await naive.session.close()


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> Starlette:
    """The baseline's ASGI app, configured like Concierge (DATABASE_URL, SECRET_KEY)."""
    settings = settings or get_settings()
    engine = engine or create_engine(settings)

    async def healthz(_: Any) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/graphql", NaiveGraphQL(engine, settings), methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )
