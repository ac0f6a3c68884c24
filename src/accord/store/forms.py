"""What makes the UI's forms safe to send: one-time form keys (a form sent twice makes one
request), forms kept while their sender signs in again, and the guidelines peers apply.

All of it in the database, not in memory: a node may run several server processes, and the
second send of a form may reach another one than the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from accord.stix.timestamps import format_timestamp
from accord.store.engine import writing
from accord.store.schema import peer_guidelines
from accord.store.web_tables import form_keys, kept_forms

KEY_LIFETIME = timedelta(days=1)  # a form left open over a working day still sends once
KEEP_LIFETIME = timedelta(hours=1)  # time enough to find one's token and sign in again
KEEP_MOST_BYTES = 64 * 1024  # a request's text, not a file
KEEP_MOST_FORMS = 1000  # kept at once on the node: what strangers may make it hold is bounded
SENDING = ""  # the request id of a key whose first send is under way


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def is_form_key(text: str) -> bool:
    """A key as the form carries it: 16 to 64 URL-safe characters (and the dot the page's
    script adds, web/static/accord.js)."""
    return 16 <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_.")
                                         for c in text)


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


class FormKeys:
    """The key of each new-request form sent: the first send claims it, and records the
    request it made; any later send of the same form finds that request."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, party_id: str, key: str, now: datetime | None = None) -> str | None:
        """None if this send is the first with `key` (it now holds the key); else the id of
        the request the first made (SENDING while that send is under way)."""
        now = now or datetime.now(UTC)
        digest = _digest(party_id, key)
        try:
            with writing(self.engine) as conn:
                conn.execute(delete(form_keys).where(
                    form_keys.c.expires <= format_timestamp(now)))
                conn.execute(form_keys.insert().values(
                    digest=digest, party_id=party_id, request_id=None,
                    expires=format_timestamp(now + KEY_LIFETIME)))
        except IntegrityError:  # another send holds it (in this process or another)
            with self.engine.connect() as conn:
                found = conn.execute(select(form_keys.c.request_id).where(
                    form_keys.c.digest == digest)).first()
            if found is None:  # its first send failed and let it go since: claim anew
                return self.claim(party_id, key, now)
            return found.request_id or SENDING
        return None

    def settle(self, party_id: str, key: str, request_id: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(update(form_keys).where(form_keys.c.digest == _digest(party_id, key))
                         .values(request_id=request_id))

    def release(self, party_id: str, key: str) -> None:
        """The send failed (the form is shown again to be corrected): the key may be used."""
        with writing(self.engine) as conn:
            conn.execute(delete(form_keys).where(form_keys.c.digest == _digest(party_id, key)))


@dataclass(frozen=True, slots=True)
class KeptForm:
    path: str  # the page the form was sent to
    fields: tuple[tuple[str, str], ...]


def _sealer(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"accord kept form\0" + secret.encode()).digest())


class KeptForms:
    """A form sent after its session ended, kept until its browser signs in again. Sealed
    with a secret only that browser holds (its cookie): the node keeps the secret's digest,
    so nobody who reads the database, or signs in elsewhere, can read what was typed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def keep(self, form: KeptForm, now: datetime | None = None) -> str | None:
        """The secret that opens the kept form, or None when it cannot be kept (too big, or
        the node holds as many as it will)."""
        now = now or datetime.now(UTC)
        plain = json.dumps({"path": form.path, "fields": form.fields}).encode()
        if len(plain) > KEEP_MOST_BYTES:
            return None
        secret = secrets.token_urlsafe(32)
        nonce = os.urandom(12)
        sealed = nonce + _sealer(secret).encrypt(nonce, plain, None)
        with writing(self.engine) as conn:
            conn.execute(delete(kept_forms).where(kept_forms.c.expires <= format_timestamp(now)))
            held = conn.execute(select(func.count()).select_from(kept_forms)).scalar_one()
            if held >= KEEP_MOST_FORMS:
                return None
            conn.execute(kept_forms.insert().values(
                digest=_digest(secret), path=form.path[:300], sealed=sealed,
                expires=format_timestamp(now + KEEP_LIFETIME)))
        return secret

    def take(self, secret: str, now: datetime | None = None) -> KeptForm | None:
        """The kept form, once (it is deleted as it is read); None if expired or unknown."""
        now = now or datetime.now(UTC)
        with writing(self.engine) as conn:
            row = conn.execute(select(kept_forms).where(
                kept_forms.c.digest == _digest(secret))).first()
            if row is None:
                return None
            conn.execute(delete(kept_forms).where(kept_forms.c.digest == row.digest))
        if row.expires <= format_timestamp(now):
            return None
        sealed = bytes(row.sealed)
        try:
            plain = _sealer(secret).decrypt(sealed[:12], sealed[12:], None)
        except InvalidTag:
            return None
        found = json.loads(plain)
        return KeptForm(str(found["path"]),
                        tuple((str(k), str(v)) for k, v in found["fields"]))


class PeerGuidelines:
    """What each peer's node answered for GET /api/v1/guidelines, and when."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, party_id: str, body: dict[str, Any], now: datetime | None = None) -> None:
        fetched = format_timestamp(now or datetime.now(UTC))
        text = json.dumps(body, sort_keys=True)
        with writing(self.engine) as conn:
            changed = conn.execute(update(peer_guidelines).where(
                peer_guidelines.c.party_id == party_id).values(body=text, fetched=fetched))
            if not changed.rowcount:
                conn.execute(peer_guidelines.insert().values(party_id=party_id, body=text,
                                                             fetched=fetched))

    def get(self, party_id: str) -> tuple[dict[str, Any], str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(peer_guidelines).where(
                peer_guidelines.c.party_id == party_id)).first()
        if row is None:
            return None
        return json.loads(row.body), row.fetched
