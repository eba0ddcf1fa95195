"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Dialect, Enum, TypeDecorator

ENUM_LENGTH = 32  # room for values added later without a column change


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp.

    PostgreSQL keeps the offset; SQLite stores naive text, so values are normalised to UTC on
    the way in and marked UTC on the way out. Naive datetimes are refused: a timestamp without
    a zone is a bug waiting for a daylight-saving change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum: type[StrEnum]) -> Enum:
    """A portable enum: stored as its string values in a VARCHAR, no database enum type."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=ENUM_LENGTH,
        values_callable=_values,
        validate_strings=True,
    )


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def as_utc(value: datetime, name: str = "datetime") -> datetime:
    """``value`` in UTC; a naive datetime is refused with a message naming ``name``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


__all__ = ["ENUM_LENGTH", "UTCDateTime", "as_utc", "enum_column"]
