"""Accept STIX objects into a collection: validate each, store the valid, report each refusal.

The one use case behind TAXII POST and `accord import`. An invalid object never blocks the
valid objects beside it; the valid ones are stored in one transaction, so nothing is half-stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from accord.attribution.objects import check as check_attribution
from accord.attribution.objects import is_attribution_object
from accord.attribution.posted import refused_record_objects
from accord.cooperation.admission import RECEIPT_TYPES, escalation_refusals, peers_receipts
from accord.cooperation.digest import ledger_entry
from accord.cooperation.model import Request
from accord.cooperation.objects import PREFIX, check, from_stix
from accord.cooperation.reach import (
    REQUEST,
    as_told_to,
    is_checked,
    request_ref,
    unheld,
    why_unreached,
)
from accord.cooperation.receipts import add_receipts, held_request
from accord.cooperation.translations import check as check_translation
from accord.cooperation.translations import is_translation
from accord.screened import Rejection, Screened, refusing
from accord.stix.limits import MAX_DEPTH, MAX_PATTERN_TOKENS_PER_REQUEST, too_deep
from accord.stix.patterns import size_of
from accord.stix.timestamps import now_timestamp, parse_timestamp
from accord.stix.validation import validate
from accord.stix.violations import Violation
from accord.store.audit_log import AuditLog
from accord.store.directory import Collection
from accord.store.engine import writing
from accord.store.objects import ObjectStore, version_of
from accord.store.query import Outcome
from accord.store.quotas import OverQuota
from accord.store.schema import ledger
from accord.store.statuses import Status, StatusStore
from accord.store.summary_rows import REQUESTS_ALIAS
from accord.trust.audit import Event
from accord.trust.tokens import ACTING_ROLES
from accord.words import a_or_an

RATING = "x-accord-rating"


class NotWhole(Exception):
    """Of objects to be stored whole (intake.store's `whole`), these were refused; nothing was
    stored."""

    def __init__(self, rejected: list[Rejection]) -> None:
        super().__init__("; ".join(r.message for r in rejected))
        self.rejected = rejected


@dataclass(slots=True)
class IntakeReport:
    added: list[Outcome] = field(default_factory=list)
    unchanged: list[Outcome] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    status: Status | None = None

    def merge(self, other: IntakeReport) -> None:
        self.added += other.added
        self.unchanged += other.unchanged
        self.rejected += other.rejected


def identify(candidate: Any) -> tuple[str | None, str | None]:
    if not isinstance(candidate, dict):
        return None, None
    oid = candidate.get("id") if isinstance(candidate.get("id"), str) else None
    version = version_of(candidate)
    return oid, version if isinstance(version, str) else None


def accept(
    engine: Engine, collection: Collection, candidates: Sequence[Any], *, party_id: str,
    token_id: str, request_timestamp: str, party_ids: frozenset[str] = frozenset(),
    poster_reads: bool = True, operator: bool = False,
    pattern_budget: int = MAX_PATTERN_TOKENS_PER_REQUEST, role: str = "liaison",
) -> IntakeReport:
    """Validate and store as posted by `party_id` (TAXII POST); records a TAXII status.

    `party_ids`: the identities of the parties this node knows. A party posts only as itself:
    an object whose created_by_ref names another of them is refused. `pattern_budget`: the
    pattern tokens parsed for this request at most (accord.stix.limits.pattern_budget).
    `role`: the token's; Accord's own objects (requests, acts, claims…) take a liaison's or
    an admin's, as they do through the REST API and the web UI.
    """
    screened = screen(candidates, pattern_budget)
    screened = refusing(screened, lambda o: Violation(
        o["id"], "created_by_ref", "not-your-identity",
        "created_by_ref names another party; a party posts objects only as itself")
        if o.get("created_by_ref") in party_ids and o["created_by_ref"] != party_id else None)
    if role not in ACTING_ROLES:
        screened = refusing(screened, lambda o: Violation(
            o["id"], "type", "role", f"{a_or_an(role)} token may not post {o['type']} objects: "
            "requests, their acts and translations, claims and positions take the liaison "
            "role") if o["type"].startswith(PREFIX) or is_translation(o) else None)
    if collection.alias != REQUESTS_ALIAS:
        # Every party reads a request's ledger in the requests collection alone: an entry
        # stored elsewhere would count for the node (deadlines, escalations) unseen by them.
        screened = refusing(screened, lambda o: Violation(
            o["id"], "type", "ledger-elsewhere",
            f"{o['type']} objects belong to a request's ledger: post them to the collection "
            f"'{REQUESTS_ALIAS}', where every party to the request reads them")
            if ledger_entry(o)[0] is not None else None)
    on_record = refused_record_objects(engine, collection, screened.valid, party_id,
                                       parse_timestamp(request_timestamp))
    screened = refusing(screened, lambda o: Violation(o["id"], None, "attribution-record", why)
                         if (why := on_record.get(id(o))) else None)
    screened = escalation_refusals(engine, screened, parse_timestamp(request_timestamp))
    if any(o["type"] in RECEIPT_TYPES for o in screened.valid):
        from accord.store.peers import hosted_parties

        if party_id in hosted_parties(engine):
            # A receipt starts a request's clock or times an act: made by this node, in the
            # transaction that stores what it receipts (cooperation.receipts). A peer's node
            # delivers the receipts of its own parties, signed.
            screened = refusing(screened, lambda o: Violation(
                o["id"], "type", "node-made",
                f"{o['type']} objects are made by this node when a request or an act reaches "
                "the party it is addressed to; a party cannot post one")
                if o["type"] in RECEIPT_TYPES else None)
        else:
            screened = peers_receipts(engine, screened)
    screened = _signed_by_peers(engine, screened)
    return store(engine, collection, screened, party_id=party_id, token_id=token_id,
                 request_timestamp=request_timestamp, poster_reads=poster_reads,
                 operator=operator)


def violations_of(candidate: Any) -> list[Violation]:
    """STIX 2.1 validation, and for Accord's own objects (x-accord-*) their definition."""
    if type(candidate) is dict:
        deep = too_deep(candidate)
        if deep is not None:  # refused before anything recursive reads it
            oid = candidate.get("id")
            return [Violation(oid if isinstance(oid, str) else None, deep, "too-deep",
                              f"'{deep}' nests more than {MAX_DEPTH} levels of objects and "
                              f"lists; this node takes objects nested at most {MAX_DEPTH} "
                              "levels deep")]
    violations = validate(candidate)
    if violations or type(candidate) is not dict:
        return violations
    # Accord's own objects, by their definitions: attribution first (a position is a standard
    # opinion, and claims share the x-accord- prefix with the cooperation objects).
    if is_attribution_object(candidate):
        problems = check_attribution(candidate)
    elif str(candidate.get("type", "")).startswith(PREFIX):
        problems = check(candidate)
    elif is_translation(candidate):
        problems = check_translation(candidate)
    else:
        return violations
    return [Violation(candidate.get("id"), None, "accord-object", problem)
            for problem in problems]


def screen(candidates: Sequence[Any],
           pattern_budget: int | None = MAX_PATTERN_TOKENS_PER_REQUEST) -> Screened:
    """Validate the candidates of one request. Their STIX patterns are parsed only up to
    `pattern_budget` tokens in all (None: no bound but each pattern's own, for the operator's
    `accord import`); indicators past it are refused, and may come again in another request."""
    valid: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    spent = 0  # pattern tokens counted so far: bounded by the budget and one pattern more
    for position, candidate in enumerate(candidates):
        pattern = _stix_pattern(candidate)
        if pattern is not None and pattern_budget is not None:
            over = spent >= pattern_budget  # then not even counted
            if not over:
                spent += size_of(pattern).tokens
                over = spent > pattern_budget
            if over:
                oid, version = identify(candidate)
                rejected.append(Rejection(oid, version, [Violation(
                    oid, "pattern", "pattern-budget",
                    f"the patterns of this request hold more than {pattern_budget:,} tokens, "
                    "the most this node parses for one request (10 per object it may hold, "
                    "accord.stix.limits.pattern_budget); send this indicator again in another "
                    "request")], position))
                continue
        violations = violations_of(candidate)
        if violations:
            rejected.append(Rejection(*identify(candidate), violations, position))
        else:
            valid.append(candidate)
    return Screened(valid, rejected)


def _stix_pattern(candidate: Any) -> str | None:
    """The STIX pattern a candidate asks to have parsed, if any."""
    if type(candidate) is not dict or candidate.get("pattern_type") != "stix":
        return None
    pattern = candidate.get("pattern")
    return pattern if type(pattern) is str else None


def store(
    engine: Engine, collection: Collection, screened: Screened, *, party_id: str,
    token_id: str | None = None, request_timestamp: str | None = None,
    poster_reads: bool = True, also: Callable[[Connection], None] | None = None,
    clock: Callable[[], datetime] | None = None, operator: bool = False,
    over_quota_fails: bool = False, whole: bool = False,
    before: Callable[[Connection], None] | None = None,
    position_of: Callable[[dict[str, Any]], int | None] | None = None,
) -> IntakeReport:
    """Store what passed screening in one transaction and report every object's fate; with
    a request_timestamp, record a TAXII status too. `also` runs in the same transaction
    (e.g. the hotline notification of an escalation: stored together or not at all).
    `operator`: the poster acts as the node's operator (trust.ownership). New versions that
    would take the poster past its quota (store.quotas) are refused, all of them, or with
    `over_quota_fails` raise OverQuota and nothing is stored (a sync round stops there).
    `whole`: nothing is stored, `also` neither, unless every object is (the desk's act with
    its hotline notices); else NotWhole, with the report. `before` runs first in the
    transaction (the desk takes its turn on the request there, and reads it again).
    `position_of`: where an object was among those screened together (a batch of a file), for
    the rejections of what the store refuses (two versions of one id in a file: the one
    refused, not the first)."""
    signer = _Signer(engine)
    valid, unsignable = signer.split(screened.valid)
    signer.ready(valid)
    report = IntakeReport(rejected=list(screened.rejected) + unsignable)
    objects = ObjectStore(engine, clock)
    with writing(engine) as conn:
        if before is not None:
            before(conn)
        valid, unreached = _reaching(conn, valid, party_id)
        report.rejected += unreached
        try:
            outcomes = (objects.add_in(conn, collection.id, valid, poster_id=party_id,
                                       default_tlp=collection.default_tlp,
                                       poster_reads=poster_reads, operator=operator)
                        if valid else [])
        except OverQuota as over:  # raised before anything was written
            if over_quota_fails:
                raise
            outcomes = over.outcomes
        if whole and (report.rejected or not all(o.stored for o in outcomes)):
            raise NotWhole(report.rejected + [
                Rejection(o.id, o.version, [Violation(o.id, None, "refused", o.message)])
                for o in outcomes if not o.stored])  # the transaction rolled back
        # A request addressed to a party this node hosts starts its clock now.
        receipts = add_receipts(conn, objects, collection, outcomes, signer)
        if also is not None:
            also(conn)
        # The store answers each object it was given, in order.
        given = valid if position_of is not None and len(valid) == len(outcomes) else None
        for n, outcome in enumerate(outcomes):
            if outcome.added:
                report.added.append(outcome)
            elif outcome.stored:
                report.unchanged.append(outcome)
            else:
                report.rejected.append(Rejection(outcome.id, outcome.version, [
                    Violation(outcome.id, None, "refused", outcome.message)],
                    None if given is None or position_of is None else position_of(given[n]),
                    outcome.held))
        if request_timestamp is not None:
            status = _status_for(report, party_id, collection.id, request_timestamp)
            StatusStore(engine).save_in(conn, status)
            report.status = status
        # Audited in the same transaction: the objects and their record stand or fall together.
        AuditLog(engine).append_in(conn, [Event(
            now_timestamp(), "objects.add" if token_id else "objects.import", party_id, token_id,
            collection.id, tuple(o.id for o in report.added),
            {"added": len(report.added), "unchanged": len(report.unchanged),
             "rejected": len(report.rejected),
             "status": report.status.id if report.status else None,
             **({"receipts": receipts} if receipts else {})})])
    return report


def _reaching(conn: Connection, objs: list[dict[str, Any]], poster: str
              ) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """`objs` but the requests, acts and translations that would not reach their request's
    parties alone, or that a side whose act it is not made (cooperation.reach), and those
    refused. An entry is checked against the request held here; else the first copy of it in
    this call (the one the store keeps); an entry on a request neither holds is refused:
    checked against nothing, it would count once its request came. `poster`, where it is no
    party to a request held here, is told of an entry on it only what it would be told of one
    on a request this node does not hold."""
    if not any(is_checked(o) for o in objs):
        return objs, []
    sent: dict[str, Request] = {}
    responses: set[tuple[str, str]] = set()  # (response, request) sent with the ratings
    for obj in objs:
        if obj["type"] == REQUEST:
            sent.setdefault(obj["id"], _request_of(obj))
        elif obj["type"] == "x-accord-response":
            responses.add((obj["id"], str(obj.get("request_ref"))))
    held: dict[str, tuple[Request | None, bool]] = {}  # by id: the request, and if held here
    kept, refused = [], []
    for obj in objs:
        why = None
        if obj["type"] == REQUEST:
            why = why_unreached(obj, _request_of(obj))
        elif is_checked(obj):
            rid = request_ref(obj)
            if rid not in held:
                found = held_request(conn, rid)
                held[rid] = (found, True) if found is not None else (sent.get(rid), False)
            request, is_held = held[rid]
            why = why_unreached(obj, request) if request is not None else unheld(obj)
            if why is None and obj["type"] == RATING:
                why = _unrated(conn, obj, rid, responses)
            if why is not None and request is not None and is_held:
                why = as_told_to(poster, obj, request, why)
        if why is None:
            kept.append(obj)
        else:
            refused.append(Rejection(obj["id"], version_of(obj), [
                Violation(obj["id"], "object_marking_refs", "ledger-reach", why)]))
    return kept, refused


def _unrated(conn: Connection, rating: dict[str, Any], request_id: str,
             responses: set[tuple[str, str]]) -> str | None:
    """Why `rating` rates nothing: its response is neither in its request's ledger here nor
    among `responses` (stored with it); else None. A rating of nothing would count in the
    review of a request never answered."""
    response = str(rating.get("response_ref"))
    if (response, request_id) in responses:
        return None
    held = conn.execute(select(ledger.c.object_id).where(
        ledger.c.request_id == request_id, ledger.c.object_id == response,
        ledger.c.type == "x-accord-response").limit(1)).first()
    if held is None:
        return (f"its response_ref {response} is no response in the ledger of {request_id} "
                "held here: a rating rates a response its request holds")
    return None


def _request_of(obj: dict[str, Any]) -> Request:
    request = from_stix(obj)  # screened already: well formed
    assert isinstance(request, Request)
    return request


def _signed_by_peers(engine: Engine, screened: Screened) -> Screened:
    """A peer's party speaks only with its node's signature: a stolen token cannot forge it."""
    from accord.federation.keys import peer_keys
    from accord.federation.signing import why_not_signed

    keys = peer_keys(engine)  # one read: the peers' parties and every key pinned for each
    if not keys or not any(o.get("created_by_ref") in keys for o in screened.valid):
        return screened

    kept: list[dict[str, Any]] = []
    forged: list[Rejection] = []
    for obj in screened.valid:
        creator = obj.get("created_by_ref")
        why = why_not_signed(obj, keys[creator]) if creator in keys else None
        if why is None:
            kept.append(obj)
        else:
            forged.append(Rejection(obj["id"], version_of(obj), [Violation(
                obj["id"], "created_by_ref", "forged-authorship",
                f"claims to be created by {creator}, but {why}")]))
    return Screened(kept, screened.rejected + forged)


class _Signer:
    """Signs what parties hosted here create (federation): peers accept their objects only so,
    and nobody can claim their authorship elsewhere. Looks up parties and key on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._hosted: frozenset[str] | None = None
        self._key: Any = None

    @property
    def hosted(self) -> frozenset[str]:
        """The parties this node speaks for: all it knows but those of its peers."""
        if self._hosted is None:
            from accord.store.peers import hosted_parties

            self._hosted = hosted_parties(self.engine)
        return self._hosted

    def __call__(self, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        signed, refused = self.split(objs)
        assert not refused, refused  # only for objects this node made itself
        return signed

    def ready(self, objs: list[dict[str, Any]]) -> None:
        """The key looked up (made, on a node that never signed) before the transaction that
        stores `objs`, where it may sign their receipts: made inside it, on SQLite, the key's
        own write would wait for that transaction's lock, and time out."""
        if self._key is None and any(str(o.get("type", "")).startswith(PREFIX) for o in objs):
            from accord.federation.keys import node_key
            from accord.store.directory import Directory

            self._key = node_key(Directory(self.engine))

    def split(self, objs: list[dict[str, Any]]
              ) -> tuple[list[dict[str, Any]], list[Rejection]]:
        """The objects, those of hosted parties signed; and those that cannot be signed."""
        if not any("created_by_ref" in o for o in objs):
            return objs, []
        if not any(o.get("created_by_ref") in self.hosted for o in objs):
            return objs, []
        # Imported here: cryptography and rfc8785 load only when there is something to sign
        # (an import of ATT&CK has nothing, and starts faster without them).
        from accord.federation.keys import node_key
        from accord.federation.signing import UnsignableError, sign
        from accord.store.directory import Directory

        if self._key is None:
            self._key = node_key(Directory(self.engine))
        signed: list[dict[str, Any]] = []
        refused: list[Rejection] = []
        for obj in objs:
            if obj.get("created_by_ref") not in self.hosted:
                signed.append(obj)
                continue
            try:
                signed.append(sign(obj, self._key))
            except UnsignableError as error:
                refused.append(Rejection(obj["id"], version_of(obj), [Violation(
                    obj["id"], None, "unsignable", str(error))]))
        return signed, refused


def _status_for(report: IntakeReport, party_id: str, collection_id: str,
                request_timestamp: str) -> Status:
    successes: list[dict[str, Any]] = []
    for outcome in report.added + report.unchanged:
        detail: dict[str, Any] = {"id": outcome.id}
        if outcome.version:
            detail["version"] = outcome.version
        if outcome.message:
            detail["message"] = outcome.message
        successes.append(detail)
    failures: list[dict[str, Any]] = []
    for rejection in report.rejected:
        # `version` is required (TAXII 2.1 §4.3.1.1): for an object that names none, when
        # the request arrived, as a server-given version is for an object without timestamps.
        detail = {"id": rejection.id or "", "version": rejection.version or request_timestamp,
                  "message": rejection.message}
        failures.append(detail)
    return Status(str(uuid.uuid4()), party_id, collection_id, request_timestamp, successes,
                  failures)
