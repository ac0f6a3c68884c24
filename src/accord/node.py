"""A node: one party's Accord installation — its database, directory and object store, wired.

`open_node` is the one place that builds these from a `--db` URL (the CLI, the server and the
tests all come through here), and from a `--read-db` URL, a streaming replica for reads.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from accord.serving.refusals import RefusalLimits, Refusals
from accord.serving.throttle import ThrottleLimits
from accord.stix.timestamps import now_timestamp
from accord.store.audit_buffer import AuditBuffer
from accord.store.audit_log import AuditLog
from accord.store.directory import Directory, DirectoryError, Party
from accord.store.engine import SCHEMA_REVISION, EmptyDatabase, migrate, open_engine
from accord.store.objects import ObjectStore
from accord.store.replica import ReplicatedEngine
from accord.store.statuses import StatusStore
from accord.store.urls import DatabaseUrlError, is_postgresql_url
from accord.trust.audit import Event

DEFAULT_MAX_CONTENT_LENGTH = 64 * 1024 * 1024
DEFAULT_MAX_PAGE = 1000
# The objects of one page of a TAXII GET together (the first whatever its size): a poll of
# five objects of 60 MB each held 300 MB and a gigabyte of the server's memory.
DEFAULT_MAX_PAGE_BYTES = 16 * 1024 * 1024
# Objects one POST may carry: bounds the work, the memory and the status of one request.
DEFAULT_MAX_OBJECTS = 10_000
# Rows of a collection one TAXII page walks at most for its reader, those it may not read
# among them (store.query.ObjectQuery.most_walked): tens of milliseconds.
DEFAULT_MOST_WALKED = 20_000
PAGING_KEY = "taxii_paging_key"  # setting: Node.paging_key, base64


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What the TAXII discovery and API root resources say about this node."""

    title: str
    description: str
    contact: str
    api_root: str  # path segment, e.g. "accord"
    max_content_length: int
    max_page: int
    max_objects: int = DEFAULT_MAX_OBJECTS  # per POSTed envelope
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES  # per page a GET returns
    most_walked: int = DEFAULT_MOST_WALKED  # rows a page walks for its reader, at most
    # Where clients reach the node (behind a TLS proxy, say); None: as the request came in.
    public_url: str | None = None


class NodeNotInitialised(RuntimeError):
    """The database holds no node yet (run `accord init`)."""


@dataclass
class Node:
    engine: Engine
    directory: Directory
    objects: ObjectStore
    statuses: StatusStore
    info: NodeInfo
    audit: AuditLog
    reads: AuditBuffer  # read events, appended to the audit trail in the background
    refusals: Refusals  # failed authentications: throttled per source, recorded via `reads`
    # With --read-db: `engine` itself, which sends read-only requests' reads to the replica.
    replica: ReplicatedEngine | None = None
    # Set while the server stops: work in background threads (a sync round) ends at its next
    # step rather than holding the process, which waits for its threads, until it is done.
    stopping: threading.Event = field(default_factory=threading.Event)
    # The schema revision it was at when opened, where opening it migrated it (else None).
    migrated_from: str | None = None

    @cached_property
    def paging_key(self) -> bytes:
        """The key that seals TAXII paging tokens naming a position the client has not seen
        (taxii.filters.PagingTokens): one for the node, whichever host made it first, so a
        token one `accord serve` host gave out is read by any other."""
        made = base64.b64encode(secrets.token_bytes(32)).decode()
        return base64.b64decode(self.directory.setting_once(PAGING_KEY, made))

    @property
    def party(self) -> Party:
        own = self.directory.own_party()
        if own is None:
            raise NodeNotInitialised(
                "this database holds no node yet: run `accord init --party NAME`")
        return own


def open_node(db: str, *, migrate_schema: bool = True, create_schema: bool = True,
              read_db: str | None = None, serving: bool = False) -> Node:
    """The node in `db`: its schema brought up to date (`migrate_schema`), and made where
    there is none only with `create_schema` (else NodeNotInitialised); `serving`: for
    `accord serve`, whose connections then say which node they serve."""
    if read_db and not (is_postgresql_url(db) and is_postgresql_url(read_db)):
        raise DatabaseUrlError("--read-db needs PostgreSQL on both sides: a streaming "
                               "replica (postgresql://…) of a PostgreSQL --db")
    engine = open_engine(db, serving=serving)
    migrated_from = None
    if migrate_schema:
        try:
            previous = migrate(engine, create=create_schema)
        except EmptyDatabase:
            engine.dispose()
            raise NodeNotInitialised("this database holds no Accord node: run `accord init "
                                     "--party NAME` to create one, or name another with --db"
                                     ) from None
        if previous not in (None, SCHEMA_REVISION):
            # Whichever command found the schema behind (a server started after an upgrade,
            # any CLI command): the migration is in the audit trail as `accord db migrate`'s.
            migrated_from = previous
            AuditLog(engine).append([Event(now_timestamp(), "db.migrate", None, detail={
                "from": previous, "to": SCHEMA_REVISION, "by": "serve" if serving else "cli"})])
    replica = None
    if read_db:
        # The replica follows the primary's schema through the WAL: never migrated itself.
        engine = replica = ReplicatedEngine(engine, open_engine(read_db, replica=True))
    directory = Directory(engine)
    own = directory.own_party()
    title = directory.setting("title") or (f"Accord node of {own.name}" if own else "Accord node")
    info = NodeInfo(
        title=title,
        description=directory.setting("description")
        or "STIX 2.1 evidence and cooperation requests, over TAXII 2.1",
        contact=directory.setting("contact") or "",
        public_url=directory.setting("public_url"),
        api_root="accord",
        max_content_length=int(directory.setting("max_content_length")
                               or DEFAULT_MAX_CONTENT_LENGTH),
        max_page=DEFAULT_MAX_PAGE,
        max_objects=int(directory.setting("max_objects") or DEFAULT_MAX_OBJECTS),
    )
    audit = AuditLog(engine)
    reads = AuditBuffer(audit)
    refusals = Refusals(RefusalLimits(throttle_limits(directory)), reads.record)
    reads.feed_from(refusals.summaries)
    return Node(engine, directory, ObjectStore(engine), StatusStore(engine), info, audit,
                reads, refusals, replica, migrated_from=migrated_from)


def throttle_limits(directory: Directory) -> ThrottleLimits:
    """The allowance of failed authentications per source (`accord serve --auth-failures`,
    `--auth-failure-refill`; docs/limits.md), from the node's settings."""
    default = ThrottleLimits()
    burst, refill, sources = (directory.setting(key) for key in (
        "auth_failures", "auth_failure_refill", "auth_sources"))
    return ThrottleLimits(int(burst) if burst else default.burst,
                          float(refill) if refill else default.refill,
                          int(sources) if sources else default.max_sources)


def initialise(node: Node, party_name: str) -> tuple[Party, str]:
    """Create the node's own party and an admin token for it (shown once)."""
    if node.directory.own_party() is not None:
        raise NodeAlreadyInitialised(
            f"this database already holds the node of {node.party.name!r}")
    party = node.directory.add_party(party_name, is_self=True)
    token = node.directory.create_token(party, role="admin", name="administrator")
    # A node is usable at once: one collection of its own for evidence.
    evidence = node.directory.create_collection(
        "Evidence", alias="evidence", description=f"Evidence held by {party.name}",
        read=[party], write=[party])
    node.audit.append([Event(now_timestamp(), "node.init", None,
                             detail={"party": party.id, "name": party.name,
                                     "collection": evidence.id})])
    return party, token


def initialise_once(node: Node, party_name: str) -> tuple[Party, str | None]:
    """The node's own party, created with an admin token if there is none yet (`accord
    serve`'s first run): hosts started together on an empty database make one node between
    them, the first to take its turn (store.directory.add_party); the others serve it, with no
    token of their own to show (None)."""
    own = node.directory.own_party()
    if own is not None:
        return own, None
    try:
        return initialise(node, party_name)
    except (DirectoryError, NodeAlreadyInitialised):
        own = node.directory.own_party()
        if own is None:
            raise
        return own, None


class NodeAlreadyInitialised(RuntimeError):
    """`accord init` on a database that already has a node."""
