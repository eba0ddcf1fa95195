"""Alembic migrations for the case store (a package so wheels ship them)."""
