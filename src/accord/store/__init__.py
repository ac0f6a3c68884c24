"""The storage port and its SQL adapter (SQLite, the embedded default, and PostgreSQL)."""
