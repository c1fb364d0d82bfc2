from __future__ import annotations

from uuid import UUID

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Entity, owned_reference


class File(Entity):
    """Metadata of an uploaded file; the bytes live in storage (persistence/storage.py)
    under ``storage_key``, their sha256: rows of equal content share one blob."""

    __tablename__ = "files"
    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_non_negative"),
        # What rows of the same owner reference (see models.base.owned_reference).
        UniqueConstraint("owner_id", "id"),
        # Whether a blob is still referenced, when a file is deleted.
        Index(None, "storage_key"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(512))


class MessageFile(Entity):
    """A file attached to a message, in the order the message lists them. The owner is
    the message's conversation's, and the file must be theirs (the composite key)."""

    __tablename__ = "message_files"
    __table_args__ = (
        UniqueConstraint("message_id", "file_id"),
        *owned_reference("message_files", "file_id", "files", on_delete="CASCADE"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    file_id: Mapped[UUID] = mapped_column(index=True)
    position: Mapped[int]
