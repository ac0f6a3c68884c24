"""The hotline: each party's contact (a webhook) hears of every escalation of its requests.

Notifications go through an outbox written in the escalation's own transaction, so none is lost
to a crash or a restart; delivery retries with growing delays, and several workers never send
the same notification twice at once (each claims a row before sending it).

Delivery is at least once: a node killed between a webhook's answer and recording it sends the
notification again. So every attempt carries the notification's id as its idempotency key
(`Idempotency-Key` and `X-Accord-Notification` headers, `id` in the body), the same on each
retry, and a receiver keeps the keys it has seen and ignores a repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, Engine, delete, select, update

from accord.cooperation.model import Escalation, Request
from accord.cooperation.objects import to_stix
from accord.federation.answers import AnswerRefused, fetch
from accord.federation.transport import ByOrigin
from accord.stix.timestamps import format_timestamp
from accord.store.bulk import among
from accord.store.engine import writing
from accord.store.peers import PeerStore
from accord.store.schema import hotline_contacts, outbox, parties

_NOTIFICATIONS = uuid.UUID("2a9e4f6b-8c1d-4e3a-b5f7-9d0c1e2f3a4b")
MAX_ATTEMPTS = 12  # about 34 hours of retries with the delays below
CLAIM = timedelta(seconds=60)  # a sender has this long before another may retry its row
# What a webhook's answer may hold: its status is all that is read. An answer that holds no
# more ends within 30.5 s (federation.answers: 30 s plus 64 KiB at 128 KiB/s), well before its
# claim runs out.
ANSWER_BYTES = 64 * 1024


def _notification_id(escalation_id: str, party_id: str) -> str:
    """Each escalation's notification of each party's hotline has one id, on every node."""
    return str(uuid.uuid5(_NOTIFICATIONS, f"{escalation_id}/{party_id}"))


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 10 s, 20 s, 40 s, … at most one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    created: str
    webhook: str
    body: dict[str, object]
    attempts: int
    next_attempt: str
    delivered: str | None
    last_error: str | None

    @property
    def has_given_up(self) -> bool:
        return self.delivered is None and self.attempts >= MAX_ATTEMPTS


class HotlineError(ValueError):
    pass


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Hotline:
    def __init__(self, engine: Engine, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.engine = engine
        self.transport = transport  # tests pass a mock transport
        # Claims and retries are timed from when they happen, not from when the tick began:
        # a tick that spends long on slow webhooks must not claim rows until a moment already
        # past (another worker would take them and send them a second time).
        self.clock = clock

    # -- contacts --------------------------------------------------------------------------

    def set_contact(self, party_id: str, webhook: str | None) -> None:
        if webhook is not None and not webhook.startswith(("http://", "https://")):
            raise HotlineError(f"--webhook {webhook!r}: give an http:// or https:// URL")
        with writing(self.engine) as conn:
            conn.execute(delete(hotline_contacts).where(hotline_contacts.c.party_id == party_id))
            if webhook is not None:
                conn.execute(hotline_contacts.insert().values(party_id=party_id,
                                                              webhook=webhook))

    def contacts(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(hotline_contacts.c.party_id,
                                            hotline_contacts.c.webhook)).all())

    # -- the outbox ------------------------------------------------------------------------

    def enqueue_in(self, conn: Connection, escalation: Escalation, request: Request,
                   at: datetime) -> None:
        """Notify the requester's and the addressee's hotlines, in the caller's transaction."""
        names = dict(conn.execute(select(parties.c.id, parties.c.name).where(
            parties.c.id.in_([request.requester, request.addressee]))).all())
        contacts = dict(conn.execute(select(hotline_contacts.c.party_id,
                                            hotline_contacts.c.webhook).where(
            hotline_contacts.c.party_id.in_([request.requester, request.addressee]))).all())
        body = {
            "type": "accord.escalation", "request_id": request.id, "summary": request.summary,
            "urgency": request.urgency, "kind": request.kind,
            "requester": names.get(request.requester, request.requester),
            "addressee": names.get(request.addressee, request.addressee),
            "reason": escalation.reason, "level": escalation.level,
            "escalation": to_stix(escalation),
        }
        now = format_timestamp(at)
        for party_id, webhook in sorted(contacts.items()):
            nid = _notification_id(escalation.id, party_id)
            if conn.execute(select(outbox.c.id).where(outbox.c.id == nid)).first() is not None:
                continue
            conn.execute(outbox.insert().values(
                id=nid, created=now, webhook=webhook,
                body=orjson.dumps({"id": nid, **body, "to": names.get(party_id, party_id)}),
                attempts=0, next_attempt=now, delivered=None, last_error=None))

    def log(self, limit: int = 1000) -> list[Notification]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.created.desc())
                                .limit(limit)).all()
        return [_notification(r) for r in rows]

    def of_escalations(self, escalated: Iterable[tuple[Escalation, Request]]
                       ) -> dict[str, list[Notification]]:
        """The notifications of these escalations (each with its request), by the
        escalation's id: looked up by their ids (one per escalation and party of the request,
        as `enqueue_in` names them), not read from the whole outbox."""
        ids = list(dict.fromkeys(_notification_id(escalation.id, party)
                                 for escalation, request in escalated
                                 for party in (request.requester, request.addressee)))
        rows: list[Any] = []
        with self.engine.connect() as conn:
            for condition in among(conn, outbox.c.id, ids):
                rows += conn.execute(select(outbox).where(condition)).all()
        rows.sort(key=lambda r: r.id)
        rows.sort(key=lambda r: r.created, reverse=True)  # newest first, as `log` reads them
        return _by_escalation(_notification(r) for r in rows)

    def deliver_due(self, now: datetime, most: int = 100) -> int:
        """Send the notifications due at `now` (at most `most`), each claimed by this worker
        first; returns how many were delivered."""
        stamp = format_timestamp(now)
        delivered = 0
        # A webhook on a peer's node is reached through the peer's TLS pin, like a sync.
        reaching = self.transport or ByOrigin(PeerStore(self.engine).all())
        with httpx.Client(transport=reaching, timeout=10.0) as client:
            for _ in range(most):
                # Claimed one at a time, just before it is sent: a claim runs out CLAIM after
                # it is made, and a slow webhook must not eat the claims of rows still waiting.
                claimed = self._claim_next(stamp)
                if claimed is None:
                    break
                delivered += self._send(client, *claimed)
        return delivered

    def _claim_next(self, due: str) -> tuple[str, str] | None:
        """Claim the oldest notification due at `due` that no worker holds: its next attempt
        moves CLAIM ahead, so that no other worker, on any host, sends it meanwhile; returns
        its id and that moment, which stands for the claim. On PostgreSQL a row another
        worker is claiming is skipped (FOR UPDATE SKIP LOCKED), not waited for; SQLite's write
        transaction lets one worker claim at a time."""
        with writing(self.engine) as conn:
            nid = conn.execute(select(outbox.c.id).where(
                outbox.c.delivered.is_(None), outbox.c.next_attempt <= due,
                outbox.c.attempts < MAX_ATTEMPTS).order_by(outbox.c.created, outbox.c.id)
                .limit(1).with_for_update(skip_locked=True)).scalar()
            if nid is None:
                return None
            until = format_timestamp(self.clock() + CLAIM)
            conn.execute(update(outbox).where(outbox.c.id == nid).values(next_attempt=until))
        return nid, until

    def _send(self, client: httpx.Client, nid: str, claim: str | None = None) -> int:
        """Send one notification; its delivery is recorded whoever holds it, a failure only
        while `claim` (what _claim_next returned) still holds it."""
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == nid)).one()
        error: str | None = None
        try:
            # The same key on every attempt (IETF draft-ietf-httpapi-idempotency-key-header).
            # Read within bounds: a webhook is another party's, and one answering slowly or
            # without end would hold every notification behind it.
            answer = fetch(client, "POST", row.webhook, content=_with_id(row.body, nid),
                           headers={"Content-Type": "application/json",
                                    "Idempotency-Key": nid, "X-Accord-Notification": nid},
                           most_bytes=ANSWER_BYTES)
            if answer.status_code >= 300:
                error = f"HTTP {answer.status_code}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        except AnswerRefused as refused:
            error = str(refused)
        now = self.clock()
        # Counted in the database, and never over a delivery already recorded: a worker
        # whose claim ran out (a host's clock behind the others') may have sent it too.
        pending = update(outbox).where(outbox.c.id == nid, outbox.c.delivered.is_(None))
        with writing(self.engine) as conn:
            if error is None:
                conn.execute(pending.values(attempts=outbox.c.attempts + 1, last_error=None,
                                            delivered=format_timestamp(now)))
                return 1
            # Not over another worker's claim, made once this one's ran out: its next attempt
            # would be brought forward under it, for a third to send the notification too.
            conn.execute(pending.where(outbox.c.next_attempt == (claim or row.next_attempt))
                         .values(attempts=outbox.c.attempts + 1, last_error=error,
                                 next_attempt=format_timestamp(
                                     now + retry_delay(row.attempts + 1))))
        return 0


def _with_id(body: bytes, nid: str) -> bytes:
    """The body as sent: with its id (rows queued before ids were written lack it)."""
    parsed = orjson.loads(body)
    return body if parsed.get("id") == nid else orjson.dumps({"id": nid, **parsed})


def _notification(row: Any) -> Notification:
    return Notification(row.id, row.created, row.webhook, orjson.loads(row.body), row.attempts,
                        row.next_attempt, row.delivered, row.last_error)


def _by_escalation(notes: Iterable[Notification]) -> dict[str, list[Notification]]:
    found: dict[str, list[Notification]] = {}
    for note in notes:
        escalation = note.body.get("escalation")
        if isinstance(escalation, dict):
            found.setdefault(str(escalation.get("id")), []).append(note)
    return found
