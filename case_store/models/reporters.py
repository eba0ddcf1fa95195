"""The person who reports: known only by a keyed hash of their phone number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from case_store.base import Base
from case_store.columns import UTCDateTime


class Reporter(Base):
    __tablename__ = "reporter"

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC-SHA256 hex of the E.164 number: lets a repeat reporter be recognised, reveals nothing.
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Fernet ciphertext of the number, kept only when the reporter agreed to be contacted.
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(16))
    opted_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Reporter id={self.id}>"
