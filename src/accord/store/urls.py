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
        return _readable("postgresql+psycopg://" + db.split("://", 1)[1], db)
    if scheme == "sqlite":
        return _readable(db, db)
    raise DatabaseUrlError(f"unsupported database URL scheme {scheme!r}: use a file path, "
                           "sqlite:///PATH or postgresql://USER@HOST/DB")


def _readable(url: str, given: str) -> str:
    """`url`, once SQLAlchemy can read it; else DatabaseUrlError naming the part it cannot
    (its own message is Python's: "invalid literal for int() with base 10")."""
    try:
        port = make_url(url).port
    except ValueError:
        raise DatabaseUrlError(f"{shown_url(given)!r} is not a database URL Accord can read: "
                               "write it as postgresql://USER@HOST:PORT/DB (the port a "
                               "number, an IPv6 address in [brackets])") from None
    if port is not None and not 0 < port < 65536:
        raise DatabaseUrlError(f"{shown_url(given)!r}: port {port} is not a TCP port "
                               "(1 to 65535)")
    return url


def shown_url(db: str) -> str:
    """A database URL without its password, to print (a file's path as it is); one that does
    not parse, with whatever stands between "//" and the last "@" before the host hidden."""
    if "://" not in db:
        return db
    try:
        return make_url(db).render_as_string(hide_password=True)
    except ValueError:
        scheme, _, rest = db.partition("://")
        credentials, at, host = rest.rpartition("@")
        if not at:
            return db
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}"


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
