"""Web sessions: opened with an API token, closed by signing out, expiring on their own."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from accord.stix.timestamps import format_timestamp
from accord.store.engine import reading, writing
from accord.store.web_tables import web_sessions

LIFETIME = timedelta(hours=12)  # a working day; then the officer signs in again


@dataclass(frozen=True, slots=True)
class Session:
    token_id: str
    csrf: str
    expires: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Sessions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, token_id: str, now: datetime | None = None) -> tuple[str, Session]:
        """A new session for the token: (the secret for the cookie, the session)."""
        now = now or datetime.now(UTC)
        secret = secrets.token_urlsafe(32)
        session = Session(token_id, secrets.token_urlsafe(32), format_timestamp(now + LIFETIME))
        with writing(self.engine) as conn:
            # Expired sessions go when new ones come: the table stays as small as its use.
            conn.execute(delete(web_sessions).where(
                web_sessions.c.expires <= format_timestamp(now)))
            conn.execute(web_sessions.insert().values(
                digest=_digest(secret), token_id=token_id, csrf=session.csrf,
                created=format_timestamp(now), expires=session.expires))
        return secret, session

    def find(self, secret: str, now: datetime | None = None) -> Session | None:
        """The open session the secret stands for, or None (unknown, expired, closed)."""
        with reading(self.engine) as conn:
            row = conn.execute(select(web_sessions).where(
                web_sessions.c.digest == _digest(secret))).first()
        if row is None or row.expires <= format_timestamp(now or datetime.now(UTC)):
            return None
        return Session(row.token_id, row.csrf, row.expires)

    def close(self, secret: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.digest == _digest(secret)))
