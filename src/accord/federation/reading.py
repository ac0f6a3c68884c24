"""A peer's answers read as TAXII 2.1: each request's failure, and each answer whose shape is
not what TAXII says, a SyncError that names the peer, the URL and what was wrong, never an
error of Python's that would end the rounds with the peers after it. What an answer may cost
in bytes and time is federation.answers'; what it may cost to parse is bounded here."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from accord.federation.answers import Answer, AnswerRefused, AnswerTooLarge, fetch
from accord.federation.transport import CertificateRefused
from accord.node import DEFAULT_MAX_OBJECTS
from accord.stix.limits import CONTAINERS_PER_OBJECT
from accord.stix.timestamps import is_timestamp

log = logging.getLogger(__name__)

TAXII = "application/taxii+json;version=2.1"
# What one answer of a peer's may cost to parse: as much as one envelope POSTed here (taxii
# routes), whatever the page size asked for (one object may nest more than a page's share).
MOST_CONTAINERS = DEFAULT_MAX_OBJECTS * CONTAINERS_PER_OBJECT
MANIFEST_PAGE = 1000  # entries asked for in one page of a peer's manifest
# The longest `next` token followed (and kept in the peer's cursors, federation.waypoints):
# it goes back in a URL, and an Accord node's are under 100 characters.
MOST_TOKEN = 8192
# A date a peer's page ends at: to the nanosecond, "2026-01-01T00:00:00.123456789Z".
_MOST_TIMESTAMP = 30


class SyncError(Exception):
    """The peer could not be read (unreachable, refused the token, answered nonsense)."""


class PageTooLarge(SyncError):
    """One answer passed what this node reads at once (federation.answers.MOST_BYTES) or
    parses (MOST_CONTAINERS): a smaller page may not."""


class CollectionGone(SyncError):
    """The peer answered, definitively, that one of its collections is not ours to read (403
    or 404): what was pulled from it is retracted."""


def where(client: httpx.Client, url: str) -> str:
    """The address asked, whole, as messages name it."""
    return str(client.base_url.join(url))


def unreachable(client: httpx.Client, error: httpx.HTTPError) -> str:
    if isinstance(error, CertificateRefused):  # says itself what was refused, and what to do
        return str(error)
    return f"cannot reach {client.base_url}: {error}"


def get_json(client: httpx.Client, url: str, collection: bool = False, **params: Any) -> Any:
    """GET `url` as JSON. For a URL in one collection (`collection`), 403 and 404 say that it
    is not ours to read (CollectionGone); any other failure says nothing about access."""
    answer = exchange(client, "GET", url, params=params)
    if answer.status_code == 401:
        raise SyncError(f"{client.base_url} refused this node's token (401): ask the peer for "
                        "a new one and `accord peer add` again")
    if collection and answer.status_code in (403, 404):
        raise CollectionGone(f"the peer answered {answer.status_code} for {url}")
    if answer.status_code != 200:
        raise SyncError(f"{where(client, url)} answered {answer.status_code}")
    last = answer.headers.get("X-TAXII-Date-Added-Last")
    if last is not None and not (len(last) <= _MOST_TIMESTAMP and is_timestamp(last)):
        # It would be kept as the collection's cursor and sent back as added_after at every
        # round: a page that says no date is gone on from by its `next` token instead.
        log.info("%s: X-TAXII-Date-Added-Last %r is no STIX timestamp; not kept",
                 where(client, url), last[:40])
        last = None
    return object_in(client, url, answer) | {"_added_last": last}


def exchange(client: httpx.Client, method: str, url: str, **asked: Any) -> Answer:
    """One request to the peer, its answer read within bounds (federation.answers); every
    failure a SyncError that says what happened (PageTooLarge: one a smaller page may not)."""
    try:
        return fetch(client, method, url, **asked)
    except httpx.HTTPError as error:
        raise SyncError(unreachable(client, error)) from None
    except httpx.InvalidURL as error:  # what the peer gave to ask with cannot be sent
        raise SyncError(f"cannot ask {client.base_url} for {url}: {error}") from None
    except AnswerTooLarge as refused:
        raise PageTooLarge(str(refused)) from None
    except AnswerRefused as refused:
        raise SyncError(str(refused)) from None


def object_in(client: httpx.Client, url: str, answer: Answer) -> dict[str, Any]:
    """The JSON object the answer holds (a TAXII resource, a status), refused unparsed when
    parsing it would cost more than an envelope POSTed here may (PageTooLarge: counted like
    a POST's, at C speed, every JSON object or array opening with one of these bytes)."""
    containers = answer.content.count(b"{") + answer.content.count(b"[")
    if containers > MOST_CONTAINERS:
        raise PageTooLarge(f"{where(client, url)} answered {containers:,} JSON objects and "
                           f"arrays, more than the {MOST_CONTAINERS:,} this node parses in one "
                           "answer")
    try:
        found = orjson.loads(answer.content)
    except orjson.JSONDecodeError:
        found = None
    if not isinstance(found, dict):
        raise SyncError(f"{where(client, url)} did not answer a JSON object")
    return found


def malformed(client: httpx.Client, url: str, what: str) -> SyncError:
    return SyncError(f"{where(client, url)} answered {what}, which is not TAXII 2.1: the "
                     "round stops there")


def list_in(client: httpx.Client, url: str, found: dict[str, Any], key: str) -> list[Any]:
    """`found[key]`, a list (absent: an empty one)."""
    listed = found.get(key, [])
    if not isinstance(listed, list):
        raise malformed(client, url, f"{key!r} that is not a list")
    return listed


def next_of(client: httpx.Client, url: str, page: dict[str, Any]) -> str | None:
    """Where the page says more is to be read: None at the end."""
    if not page.get("more"):
        return None
    following = page.get("next")
    if following is None or following == "":
        return None
    if not isinstance(following, str):
        raise malformed(client, url, "'next' that is not a string")
    if len(following) > MOST_TOKEN:
        raise malformed(client, url, f"a 'next' of {len(following):,} characters, more than "
                                     f"the {MOST_TOKEN:,} this node sends back")
    return following


@dataclass
class Followed:
    """The `next` tokens a round followed through one collection, and how many of the pages
    they brought in a row were empty."""

    tokens: set[str] = field(default_factory=set)
    empty: int = 0


# Empty pages in a row that say there is more: an Accord node ends a page early where it
# walked store.query.ObjectQuery.most_walked rows hidden from the reader (20,000 by default),
# so a run of them is 20 million such rows, a minute or so. Past it, a pull leaves the rest to
# the next round, which carries on from the last `next` token (kept in the peer's cursors):
# a peer going on without end costs each round that many requests, not the round's whole time.
EMPTY_IN_A_ROW = 1000
# A manifest cannot be left for the next round: what it retracts needs the whole list, read
# in one round. Ten times the pull's run is 200 million hidden rows, about the round's own
# ten minutes (sync.ROUND_SECONDS); past it, the round fails, retracting nothing.
MANIFEST_EMPTY_IN_A_ROW = 10 * EMPTY_IN_A_ROW


class EmptyStretch(SyncError):
    """A peer sent more empty pages in a row than a read follows in one round."""


def moves_on(client: httpx.Client, cid: str, followed: Followed, following: str,
             listed: list[Any], most_empty: int | None = None) -> None:
    """A page that says there is more must point to a page not read yet in this round
    (`followed`, which this adds to), and bring something within `most_empty` pages
    (EMPTY_IN_A_ROW by default; EmptyStretch past it): a peer answering `more` with nothing
    without end, or sending the round back to a page it read (A, B, A, …), would keep the
    round, and the rounds with the peers after it, going until ROUND_SECONDS. A loop is a
    failure, backed off from."""
    if following in followed.tokens:
        raise SyncError(f"{client.base_url} says more of collection {cid} is to come, but "
                        "points back to a page read: the round stops there")
    followed.empty = 0 if listed else followed.empty + 1
    bound = EMPTY_IN_A_ROW if most_empty is None else most_empty
    if followed.empty > bound:
        raise EmptyStretch(f"{client.base_url} says more of collection {cid} is to come, but "
                           f"sent nothing in {followed.empty:,} pages in a row")
    followed.tokens.add(following)


class ManifestStopped(Exception):
    """The server stops, or the round loses its peer, while a manifest is read."""


def read_manifest(client: httpx.Client, url: str, cid: str, until: float,
                  round_seconds: float, stopped: Callable[[], bool]) -> set[str]:
    """The ids the peer's manifest of `cid` (at `url`) lists: what it still lets us read.
    Read by the round's end (`until`, time.monotonic(); the round lasts `round_seconds`), or
    the round fails: nothing is retracted on the word of a manifest read in part. Given up
    (ManifestStopped) at the next page once `stopped()` (the node stops, the peer was taken
    over: rounds.Pulling.is_stopped)."""
    visible: set[str] = set()
    params: dict[str, Any] = {"limit": MANIFEST_PAGE}
    asked = Followed()
    while True:
        page = get_json(client, url, collection=True, **params)
        entries = list_in(client, url, page, "objects")
        for entry in entries:
            listed = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(listed, str):
                raise malformed(client, url, "a manifest entry without an id")
            visible.add(listed)
        following = next_of(client, url, page)
        if following is None:
            return visible
        try:
            moves_on(client, cid, asked, following, entries, MANIFEST_EMPTY_IN_A_ROW)
        except EmptyStretch as stretch:
            raise SyncError(f"{stretch} of its manifest: the round stops there, retracting "
                            "nothing") from None
        if stopped():
            raise ManifestStopped
        if time.monotonic() > until:
            raise SyncError(f"{client.base_url}'s manifest of collection {cid} did not end "
                            f"within the round's {round_seconds / 60:.0f} minutes")
        params = {"limit": MANIFEST_PAGE, "next": following}
