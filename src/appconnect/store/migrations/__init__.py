"""Alembic migrations of the server's schema (the same scripts for SQLite and PostgreSQL)."""
