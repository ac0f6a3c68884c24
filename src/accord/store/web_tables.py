"""The web UI's tables: signed-in browsers, the one-time keys of its forms, and what a browser
typed when its session had ended. Tables of the node's one schema (store.schema's metadata);
migrations 0010 and 0017 create them."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Table

from accord.store.schema import metadata

# Signed-in browsers (accord.web): the cookie holds a random secret, the node only its digest,
# so a copied database opens no session. Signing out deletes the row; so does revoking the
# token (a session is only as good as the token it was opened with, checked on every page).
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("token_id", String(40), ForeignKey("tokens.id"), nullable=False),
    Column("csrf", String(64), nullable=False),  # the session's anti-forgery token
    Column("created", String(40), nullable=False),
    Column("expires", String(40), nullable=False),
)
Index("ix_web_sessions_token", web_sessions.c.token_id)

# One-time keys of new-request forms (web.forms): a form sent twice makes one request. The
# key is the browser's; the node keeps its digest with the party, and the request it made.
form_keys = Table(
    "form_keys",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("party_id", String(100), nullable=False),
    Column("request_id", String(100), nullable=True),  # None: the first send is under way
    Column("expires", String(40), nullable=False),
)
Index("ix_form_keys_expires", form_keys.c.expires)

# What a browser typed when its session had ended, until it signs in again (web.forms):
# sealed with a secret only that browser's cookie holds; the node keeps the secret's digest.
kept_forms = Table(
    "kept_forms",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("path", String(300), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("expires", String(40), nullable=False),
)
Index("ix_kept_forms_expires", kept_forms.c.expires)
