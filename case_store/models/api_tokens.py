"""Bearer tokens of the JSON API, each for one staff account (``case_store.api_tokens``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime
from case_store.models.users import User


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # What its holder calls it ("Primero sync"): to tell tokens apart, never secret.
    name: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the secret, hex; the secret itself is never stored.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken id={self.id} user={self.user_id}>"
