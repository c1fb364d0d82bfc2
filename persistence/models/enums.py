"""The closed vocabularies of the domain, stored as checked strings."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class Channel(enum.StrEnum):
    TELEGRAM = "telegram"
    WEB = "web"
    WHATSAPP = "whatsapp"
    INSTAGRAM = "instagram"
    MESSENGER = "messenger"
    SMS = "sms"
    EMAIL = "email"
    VOICE = "voice"


class MessageRole(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class AppointmentStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class AppointmentChange(enum.StrEnum):
    """What happened to an appointment, as kept in its history."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"


def checked_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR with a CHECK constraint (no native PostgreSQL enum to migrate)."""
    options: dict[str, Any] = {
        "native_enum": False,
        "create_constraint": True,
        "length": 20,
        "name": name,
        "values_callable": lambda members: [member.value for member in members],
        "validate_strings": True,
    }
    return Enum(enum_class, **options)
