"""The words of the mechanism as types: a request and the ledger of what followed it.

Pure: no I/O, no clock. Times are timezone-aware UTC datetimes. Every entry of a ledger is an
immutable STIX object (see `cooperation.objects`); nothing here is ever updated in place — the
state of a request is derived from its ledger by `cooperation.ledger`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal, get_args

# Each closed vocabulary is a Literal (what mypy, pydantic and the OpenAPI description read) and
# the tuple of its words drawn from it, so the two cannot drift apart.

# What the requester asks the addressee to do (the 2015 commitments' "information and assistance").
Kind = Literal["information", "preservation", "investigation", "mitigation", "prosecution"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# What the malicious activity is (the 2015–2016 dialogues' categories).
Category = Literal["intrusion", "ip-theft", "ddos", "ransomware", "fraud", "child-abuse",
                   "terrorist-misuse", "other"]
CATEGORIES: tuple[Category, ...] = get_args(Category)

Urgency = Literal["routine", "priority", "urgent"]
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)

# How the addressee's final response ended the request.
Outcome = Literal["information-provided", "action-taken", "no-information-found", "declined",
                  "referred"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

# The evidence one request or response may attach. Each id is looked up in every collection of
# its reader on every view of the request: a million ids (a 64 MiB request) would make each
# look-up, and each view, read a million rows. A report attached as one object carries any
# number of its own object_refs.
MOST_EVIDENCE = 1_000

EscalationReason = Literal["acknowledgement-overdue", "response-overdue", "disputed", "manual"]
ESCALATION_REASONS: tuple[EscalationReason, ...] = get_args(EscalationReason)

# The derived state of a request (never stored).
State = Literal["submitted", "acknowledged", "in-progress", "answered", "closed", "declined",
                "withdrawn", "overdue", "escalated"]
STATES: tuple[State, ...] = get_args(State)

# The request's optional content fields, by the names guidelines use in `[required]`.
CONTENT_FIELDS: tuple[str, ...] = (
    "summary", "description", "activity", "victims", "impact", "legal_basis",
    "point_of_contact", "evidence",
)


@dataclass(frozen=True, slots=True)
class Request:
    """A request for information or assistance, as its requester made it."""

    id: str  # x-accord-request--UUID
    created: datetime
    requester: str  # identity id of the requesting party (created_by_ref)
    addressee: str  # identity id of the addressed party
    kind: Kind
    category: Category
    urgency: Urgency
    summary: str
    description: str = ""
    activity_start: datetime | None = None  # when the malicious activity was seen
    activity_end: datetime | None = None
    victims: tuple[str, ...] = ()  # affected victims, in words or identity ids
    impact: str = ""  # e.g. "22.1 million personnel records exposed"
    legal_basis: str = ""
    point_of_contact: str = ""
    evidence: tuple[str, ...] = ()  # STIX ids (object_refs)
    shared_with: tuple[str, ...] = ()  # identity ids of other parties the requester lets see it
    is_exercise: bool = False  # a drill: reported apart in the review
    lang: str = "en"  # STIX 2.1 §3.2: the language its text is written in (RFC 5646)

    @property
    def participants(self) -> tuple[str, ...]:
        """Who may see the request and every entry of its ledger: its requester, its
        addressee and the parties it is shared with."""
        return tuple(dict.fromkeys([self.requester, self.addressee, *self.shared_with]))


@dataclass(frozen=True, slots=True)
class Entry:
    """What every ledger entry after the request has: who made it, when, about which request."""

    id: str
    request_id: str
    party: str  # identity id of its maker (created_by_ref)
    time: datetime  # its STIX `created`; for a receipt, see `Receipt.received`
    # STIX 2.1 §3.2: the language of its text (RFC 5646); written only on the types that carry
    # text (`objects.TRANSLATABLE`): a receipt has none.
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class Receipt(Entry):
    """Made by the addressee's node when it first stores the request: the clock starts here.

    It fixes the deadlines from the guidelines in force at that moment, so a later change of
    guidelines moves no running deadline, and two nodes holding the same ledger agree.
    """

    received: datetime = datetime.min  # the request's date_added at the addressee's node
    acknowledge_by: datetime = datetime.min
    respond_by: datetime = datetime.min
    guidelines_version: int = 0


@dataclass(frozen=True, slots=True)
class ActReceipt(Entry):
    """Made by the node hosting the party an act is addressed to, when it first stores the act:
    the act is timed by this, not by its own `created`, which the acting side wrote."""

    act_id: str = ""  # the acknowledgement, status report, response or withdrawal received
    received: datetime = datetime.min  # the act's date_added at the receiving node


@dataclass(frozen=True, slots=True)
class Acknowledgement(Entry):
    note: str = ""


@dataclass(frozen=True, slots=True)
class StatusReport(Entry):
    text: str = ""


@dataclass(frozen=True, slots=True)
class Response(Entry):
    """The addressee's final answer."""

    outcome: Outcome = "information-provided"
    text: str = ""
    reason: str = ""  # why, when declined or referred
    evidence: tuple[str, ...] = ()  # STIX ids returned


@dataclass(frozen=True, slots=True)
class Escalation(Entry):
    reason: EscalationReason = "manual"
    level: int = 1  # index into the guidelines' escalation ladder, from 1
    note: str = ""


@dataclass(frozen=True, slots=True)
class DeEscalation(Entry):
    escalation_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rating(Entry):
    """The requester's judgement of a response's quality."""

    response_id: str = ""
    score: int = 3  # 1 (useless) to 5 (complete and timely)
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Withdrawal(Entry):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Ledger:
    """A request and every entry that followed it, in any order (derivation sorts them)."""

    request: Request
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long the addressee has, from receipt, for one urgency."""

    acknowledge: timedelta
    respond: timedelta


_ESCALATIONS = uuid.UUID("0d7c5a1e-3b9f-4c2d-8e6a-5f1b2c3d4e5f")


# The reasons the deadline watcher escalates for: lateness, the requester's to raise.
LATENESS: tuple[EscalationReason, ...] = ("acknowledgement-overdue", "response-overdue")


def escalation_id(request_id: str, reason: str) -> str:
    """The id of the automatic escalation of `request_id` for `reason`, the same everywhere
    (the watcher of every host makes the same one, and only the first is stored)."""
    return f"x-accord-escalation--{uuid.uuid5(_ESCALATIONS, request_id + '/' + reason)}"


@lru_cache(maxsize=1024)
def watcher_ids(request_id: str) -> frozenset[str]:
    """The ids of the watcher's escalations of `request_id`, one for each LATENESS reason
    (made in the requester's name: nobody else's escalation may take one)."""
    return frozenset(escalation_id(request_id, reason) for reason in LATENESS)


def earlier(a: Entry, b: Entry | None) -> bool:
    """Whether entry `a` comes before `b` (None: nothing yet): by time, then id, then content."""
    if b is None or a.time < b.time:
        return True
    # Two versions of one id (or a forgery) are ordered by their whole content, so that no
    # choice between entries ever depends on the order a node happens to hold them in.
    return a.time == b.time and (a.id < b.id or (a.id == b.id and repr(a) < repr(b)))
