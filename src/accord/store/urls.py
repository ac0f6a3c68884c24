"""What a `--db` (or `--read-db`) value names: a SQLite file or a PostgreSQL database, and
there the schema the node's tables are in."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import make_url


class DatabaseUrlError(ValueError):
    """The --db value names no database Accord can use."""


def normalise_url(db: str) -> str:
    """Accept a plain path (SQLite file), `sqlite:///…` or `postgresql://…`."""
    if "://" not in db:
        return f"sqlite:///{db}"
    scheme = db.split("://", 1)[0]
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if scheme == "sqlite":
        return db
    raise DatabaseUrlError(f"unsupported database URL scheme {scheme!r}: use a file path, "
                           "sqlite:///PATH or postgresql://USER@HOST/DB")


def sqlite_file(db: str) -> Path | None:
    """The file a SQLite --db names (None for PostgreSQL or an in-memory database)."""
    url = make_url(normalise_url(db))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def is_postgresql_url(db: str) -> bool:
    return make_url(normalise_url(db)).get_backend_name() == "postgresql"


# A user's own schema, first on PostgreSQL's default search_path: there only if made.
USER_SCHEMA = "$user"


def search_path(db: str) -> list[str] | None:
    """The schemas a PostgreSQL URL's `options=-csearch_path=…` names, in order, as PostgreSQL
    reads them (an unquoted name in lower case, a quoted one as it is); None when the URL sets
    none (then it is the server's, or the role's, default)."""
    options = make_url(normalise_url(db)).query.get("options", "")
    for option in [options] if isinstance(options, str) else options:
        # libpq options are command-line switches: "-csearch_path=a,b" or "-c search_path=a"
        found = re.search(r"(?:^|\s)-c\s*search_path\s*=\s*([^\s]+)", option)
        if found:
            return [_identifier(name.strip()) for name in found.group(1).split(",")
                    if name.strip()]
    return None


def search_path_schema(db: str) -> str | None:
    """The schema the URL's search_path puts first, where Accord's tables are (past "$user",
    which this cannot know); None when the URL sets none (then it is public)."""
    names = [name for name in search_path(db) or [] if name != USER_SCHEMA]
    return names[0] if names else None


def _identifier(name: str) -> str:
    if name.startswith('"') and name.endswith('"') and len(name) > 1:
        return name[1:-1].replace('""', '"')
    return name.lower()
