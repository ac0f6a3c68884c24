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
_USER_SCHEMA = "$user"


def search_path(db: str) -> list[str] | None:
    """The schemas a PostgreSQL URL's `options=-csearch_path=…` names, in order, as PostgreSQL
    reads them (an unquoted name with A-Z in lower case, a quoted one as it is; the last
    setting given counts); None when the URL sets none (then it is the server's, or the
    role's, default)."""
    options = make_url(normalise_url(db)).query.get("options", "")
    settings = [found.group(1) for option in ([options] if isinstance(options, str) else options)
                # libpq options are command-line switches: "-csearch_path=a,b", "-c search_path=a"
                for found in re.finditer(r"(?:^|\s)-c\s*search_path\s*=\s*([^\s]+)", option)]
    if not settings:
        return None
    return [_identifier(name.strip()) for name in settings[-1].split(",") if name.strip()]


def search_path_schema(db: str) -> str | None:
    """The schema the URL's search_path puts first, where Accord's tables are; None when the
    URL sets none, or puts "$user" first (then the connection's current_schema() tells)."""
    names = search_path(db)
    return names[0] if names and names[0] != _USER_SCHEMA else None


# PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1).
_NAME_BYTES = 63


def _identifier(name: str) -> str:
    """As PostgreSQL's parser reads an identifier: quoted, as it is; else with A-Z (only:
    not other letters, in a UTF-8 database) in lower case; cut to 63 bytes."""
    if name.startswith('"') and name.endswith('"') and len(name) > 1:
        name = name[1:-1].replace('""', '"')
    else:
        name = name.translate(_ASCII_LOWER)
    return name.encode()[:_NAME_BYTES].decode(errors="ignore")


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
