"""Declarative models: the single source of the schema for Alembic autogenerate."""

from sqlalchemy import CheckConstraint, Enum, String, func

from persistence.models.appointments import NO_OVERLAP, Appointment, AppointmentEvent
from persistence.models.base import (
    EARLIEST_DATE,
    LATEST_DATE,
    Base,
    Entity,
    for_dialect,
    new_id,
    supported_instant,
    utcnow,
)
from persistence.models.conversations import Conversation, Message
from persistence.models.customers import Customer
from persistence.models.enums import (
    AppointmentChange,
    AppointmentStatus,
    Channel,
    MessageRole,
    Role,
)
from persistence.models.files import File, MessageFile
from persistence.models.memories import (
    DEFAULT_EMBEDDING_DIMENSIONS,
    MAX_EMBEDDING_DIMENSIONS,
    ConversationState,
    Memory,
    MemoryType,
    OwnerSettings,
)
from persistence.models.personas import (
    ExecutionContext,
    Persona,
    PersonaModule,
    default_ai_settings,
    default_voice_settings,
)
from persistence.models.schedules import OpeningHours, Schedule, ScheduleException
from persistence.models.users import User


def _bound_string_lengths() -> None:
    # SQLite ignores VARCHAR(n); a CHECK on every bounded string enforces it everywhere.
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if (
                isinstance(column.type, String)
                and not isinstance(column.type, Enum)
                and column.type.length
            ):
                table.append_constraint(
                    CheckConstraint(
                        func.length(column) <= column.type.length,
                        name=f"{column.name}_length",
                    )
                )


_bound_string_lengths()

__all__ = [
    "DEFAULT_EMBEDDING_DIMENSIONS",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_EMBEDDING_DIMENSIONS",
    "NO_OVERLAP",
    "Appointment",
    "AppointmentChange",
    "AppointmentEvent",
    "AppointmentStatus",
    "Base",
    "Channel",
    "Conversation",
    "ConversationState",
    "Customer",
    "Entity",
    "ExecutionContext",
    "File",
    "Memory",
    "MemoryType",
    "Message",
    "MessageFile",
    "MessageRole",
    "OpeningHours",
    "OwnerSettings",
    "Persona",
    "PersonaModule",
    "Role",
    "Schedule",
    "ScheduleException",
    "User",
    "default_ai_settings",
    "default_voice_settings",
    "for_dialect",
    "new_id",
    "supported_instant",
    "utcnow",
]
