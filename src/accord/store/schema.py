"""The tables of a node. Migrations under `migrations/versions` create and change them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Key/value facts about this node: its own party, its title, the schema it was made with.
settings = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

parties = Table(
    "parties",
    metadata,
    Column("id", String(100), primary_key=True),  # the party's STIX identity id
    Column("name", String(400), nullable=False, unique=True),
    Column("created", String(40), nullable=False),
    Column("is_self", Boolean, nullable=False, default=False),
    Column("identity", LargeBinary, nullable=False),  # the STIX identity object, JSON
    Column("time_zone", String(64), nullable=True),  # IANA name, e.g. "America/New_York"
)

# The people and machine accounts of each party: every token belongs to one of them, so the
# audit trail says which person of a party read or wrote, not just which party.
people = Table(
    "people",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("party_id", String(100), ForeignKey("parties.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),  # "person" or "machine"
    Column("created", String(40), nullable=False),
    Column("locale", String(16), nullable=True),  # "en" or "zh-Hans"; empty: the browser's
    Column("time_zone", String(64), nullable=True),  # IANA name; empty: the browser's
    UniqueConstraint("party_id", "name", name="uq_people_name"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("party_id", String(100), ForeignKey("parties.id"), nullable=False),
    # Only a digest is kept: a stolen database does not yield usable tokens.
    Column("digest", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),  # the holder's name, as created
    Column("role", String(20), nullable=False),
    Column("created", String(40), nullable=False),
    Column("expires", String(40), nullable=True),
    Column("revoked", String(40), nullable=True),
    Column("person_id", String(40), ForeignKey("people.id"), nullable=True),
)

collections = Table(
    "collections",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", String(400), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("alias", String(200), nullable=True, unique=True),
    Column("created", String(40), nullable=False),
    Column("default_tlp", Integer, nullable=False, server_default="2"),  # for unmarked objects
)

permissions = Table(
    "permissions",
    metadata,
    Column("collection_id", String(40), ForeignKey("collections.id"), primary_key=True),
    Column("party_id", String(100), ForeignKey("parties.id"), primary_key=True),
    Column("can_read", Boolean, nullable=False),
    Column("can_write", Boolean, nullable=False),
)
# A party's own grants, without reading every party's (migration 0013).
Index("ix_permissions_party", permissions.c.party_id, permissions.c.collection_id)

# What each party has stored on this node (every version it added and that is still here,
# over TAXII, through the desk, or pulled from its node), and the most it may store
# (store.quotas). Kept in the transaction of each addition and removal (migration 0029).
party_storage = Table(
    "party_storage",
    metadata,
    Column("party_id", String(100), primary_key=True),  # a poster_id of objects
    Column("stored_bytes", BigInteger, nullable=False),  # the bodies, as stored
    Column("versions", BigInteger, nullable=False),
    Column("quota_bytes", BigInteger, nullable=True),  # None: no quota
)
# What a party's additions (positive) and removals (negative) changed, not yet taken into its
# party_storage row: no write waits for a party's row (store.quotas.charge_in).
party_storage_changes = Table(
    "party_storage_changes",
    metadata,
    Column("seq", Integer().with_variant(BigInteger(), "postgresql"), primary_key=True,
           autoincrement=True),
    Column("party_id", String(100), nullable=False),
    Column("changed_bytes", BigInteger, nullable=False),
    Column("versions", BigInteger, nullable=False),
)
Index("ix_party_storage_changes_party", party_storage_changes.c.party_id)

# Every version of every object, per collection. `seq` breaks ties between objects added in
# the same instant, so that (date_added, seq) is a total order for stateless paging.
objects = Table(
    "objects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("collection_id", String(40), ForeignKey("collections.id"), nullable=False),
    Column("id", String(300), nullable=False),
    Column("type", String(250), nullable=False),
    Column("spec_version", String(10), nullable=False),
    Column("version", String(40), nullable=False),  # TAXII version: modified, created or date_added
    Column("version_key", String(60), nullable=False),  # `version` in sortable form
    Column("date_added", String(40), nullable=False),  # always ".ffffffZ": sorts as text
    Column("is_latest", Boolean, nullable=False),
    Column("body", LargeBinary, nullable=False),  # the object as compact JSON
    Column("tlp", Integer, nullable=True),  # trust.markings.Tlp; None: the collection's default
    Column("creator_id", String(300), nullable=True),  # created_by_ref
    Column("poster_id", String(100), nullable=True),  # the party that added this version
    UniqueConstraint("collection_id", "id", "version_key", name="uq_object_version"),
)
# date_added is unique in a collection (store.objects gives each object its own instant): the
# position of a page is a date_added alone.
Index("ix_objects_paging", objects.c.collection_id, objects.c.date_added, unique=True)
# A read by type finds its rows already in paging order; reads by id use uq_object_version.
Index("ix_objects_type", objects.c.collection_id, objects.c.type, objects.c.date_added)
# The rows not every reader may read (AMBER+STRICT, RED): how many a collection holds says
# whether a reader's page may walk long (store.objects.ObjectStore.page). Partial: most rows
# are not in it.
_CLOSED = objects.c.tlp > 2  # trust.markings.Tlp.AMBER (this module imports nothing of ours)
Index("ix_objects_closed", objects.c.collection_id, objects.c.date_added,
      sqlite_where=_CLOSED, postgresql_where=_CLOSED)

# Whom an AMBER+STRICT or RED version is addressed to (besides its creator and poster).
recipients = Table(
    "recipients",
    metadata,
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), primary_key=True),
    Column("party_id", String(300), primary_key=True),
    sqlite_with_rowid=False,  # migration 0008: one B-tree, not two
)
Index("ix_recipients_party", recipients.c.party_id, recipients.c.seq)

# TAXII status resources (§4.3), kept so that any worker can answer GET status after a POST.
statuses = Table(
    "statuses",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("party_id", String(100), ForeignKey("parties.id"), nullable=False),
    Column("collection_id", String(40), ForeignKey("collections.id"), nullable=False),
    Column("request_timestamp", String(40), nullable=False),
    Column("total_count", Integer, nullable=False),
    Column("success_count", Integer, nullable=False),
    Column("failure_count", Integer, nullable=False),
    Column("details", LargeBinary, nullable=False),  # JSON: successes and failures
)

# The audit trail (trust.audit): append-only, each record chained to the one before by hash.
# `seq` is assigned by the appender (no gaps), not by the database.
audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("action", String(60), nullable=False),
    Column("party_id", String(100), nullable=True),
    Column("token_id", String(40), nullable=True),
    Column("collection_id", String(40), nullable=True),
    Column("object_ids", LargeBinary, nullable=False),  # JSON list
    Column("detail", LargeBinary, nullable=False),  # JSON object
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_party", audit.c.party_id, audit.c.seq)
Index("ix_audit_at", audit.c.at)
# A search by action, person or collection: their records newest first (store.audit_search,
# migration 0032).
Index("ix_audit_action", audit.c.action, audit.c.seq)
Index("ix_audit_token", audit.c.token_id, audit.c.seq)
Index("ix_audit_collection", audit.c.collection_id, audit.c.seq)

# Which records name which object: "who was served object X?" without reading every record.
# On PostgreSQL no key but a B-tree over (hash of object_id, seq) and a BRIN index over seq
# (migration 0026: a row for every object served, each at a random place of the B-tree).
audit_objects = Table(
    "audit_objects",
    metadata,
    Column("object_id", String(300), primary_key=True),
    # Declared, not enforced on PostgreSQL (migration 0025): `accord db check --thorough`.
    Column("seq", Integer, ForeignKey("audit.seq"), primary_key=True),
    # The object's further records in the same append, in order: "12,15,40" (migration 0027).
    Column("also", Text, nullable=True),
    sqlite_with_rowid=False,
)

# How far audit_objects has caught up with the trail: its one row's `through` is the last
# record indexed. Later records are indexed in batches, in the background and before a search
# by object (store.audit_log.AuditLog.index_new, migration 0035).
audit_indexed = Table(
    "audit_indexed",
    metadata,
    Column("through", Integer, primary_key=True, autoincrement=False),
)

# The correlation index (accord.correlation, store.observable_index): one row per value, newest
# version and audience — it grows with the number of mentions, never with pairs of objects that
# share a value. The key starts with what decides who may read a row, so that a look-up seeks
# only rows its reader may read (migration 0013).
observables = Table(
    "observables",
    metadata,
    Column("collection_id", String(40), primary_key=True),
    # trust.markings.EVERY_READER ("*"), or a party that may read a version marked beyond AMBER
    Column("audience", String(300), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", String(2048), primary_key=True),
    # Declared, not enforced on PostgreSQL (migration 0025): `accord db check --thorough`.
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), primary_key=True),
    sqlite_with_rowid=False,
)
Index("ix_observables_seq", observables.c.seq)

# Sightings by what they sighted: the creator of an object sees who used it and how often.
sightings = Table(
    "sightings",
    metadata,
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), primary_key=True),
    Column("sighting_of_ref", String(300), nullable=False),
)
Index("ix_sightings_of", sightings.c.sighting_of_ref)

# The guidelines (cooperation.guidelines), versioned: a new version never changes a running
# deadline, which the request's receipt fixed. pair_a < pair_b name the two parties a version
# is agreed between; both NULL: the node's own policy.
guidelines = Table(
    "guidelines",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("pair_a", String(100), nullable=True),
    Column("pair_b", String(100), nullable=True),
    Column("effective", String(40), nullable=False),
    Column("text", Text, nullable=False),  # the TOML as given
)

# Where a party's hotline hears of escalations (a webhook), per party.
hotline_contacts = Table(
    "hotline_contacts",
    metadata,
    Column("party_id", String(100), ForeignKey("parties.id"), primary_key=True),
    Column("webhook", String(2000), nullable=False),
)

# Notifications waiting to be delivered: written in the same transaction as the escalation
# they announce, so a crash or restart loses none; retried with growing delays.
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("created", String(40), nullable=False),
    Column("webhook", String(2000), nullable=False),
    Column("body", LargeBinary, nullable=False),  # JSON
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", String(40), nullable=False),
    Column("delivered", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
)
Index("ix_outbox_due", outbox.c.delivered, outbox.c.next_attempt)

# The ledger of each request (cooperation.ledger): which stored versions belong to which
# request, so that a request's whole history is found without reading every object.
ledger = Table(
    "ledger",
    metadata,
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), primary_key=True),
    Column("request_id", String(300), nullable=False),
    # The entry's own id: entries are immutable (one version each), so the node's whole
    # ledger is read from this table alone.
    Column("object_id", String(300), nullable=False),
    Column("type", String(40), nullable=False),  # x-accord-request, x-accord-receipt, …
    # When it happened (a receipt: when the request was received), so that a review reads
    # only the requests of its period.
    Column("time", String(40), nullable=False),
    Column("digest", LargeBinary, nullable=True),  # cooperation.digest: facts for review
)
Index("ix_ledger_request", ledger.c.request_id)
# Covering: a review reads the request ids of its period from the index alone.
Index("ix_ledger_time", ledger.c.type, ledger.c.time, ledger.c.request_id)

# Other parties' nodes this node federates with (federation.peers): each pinned to one party
# and its public key, with where each of their collections was read up to.
peers = Table(
    "peers",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("url", String(2000), nullable=False),  # the peer's base URL
    Column("token", String(200), nullable=False),  # this node's token on the peer
    Column("party_id", String(100), ForeignKey("parties.id"), nullable=False),
    Column("public_key", String(100), nullable=False),  # base64url, Ed25519 raw
    Column("added", String(40), nullable=False),
    Column("last_attempt", String(40), nullable=True),
    Column("last_success", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("cursors", LargeBinary, nullable=False),  # JSON: peer collection id -> added_after
    Column("pulled", Integer, nullable=False, default=0),  # objects stored from it, in all
    Column("failures", Integer, nullable=False, default=0),  # rounds failed in a row
    # Objects the peer offered at the last round's end that are not held here (refused ones).
    Column("behind", Integer, nullable=False, default=0),
    # One round with a peer at a time: who holds the peer (host:pid:nonce) and until when; a
    # holder that stops renewing (killed) loses it then, or at once if its process is gone.
    Column("lease_holder", String(200), nullable=True),
    Column("lease_expires", String(40), nullable=True),
    Column("mirrors", LargeBinary, nullable=True),  # JSON: peer collection id -> local one
    # The TLS pin (federation.pinning): "certificate" or "ca", and its PEM; none for a peer
    # added --insecure over http://. Checked in every handshake before anything is sent.
    Column("tls_pin_kind", String(16), nullable=True),
    Column("tls_pin", Text, nullable=True),
    # The client certificate this node presents to the peer (mutual TLS): PEM file paths.
    Column("tls_client_cert", String(4096), nullable=True),
    Column("tls_client_key", String(4096), nullable=True),
)

# What a party's REST request with an `Idempotency-Key` made, for its retries (store.idempotency,
# migration 0040): one row per party and key, written in the transaction of what it made.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("party_id", String(100), primary_key=True),
    Column("key", String(255), primary_key=True),  # printable ASCII (api.idempotency)
    Column("fingerprint", String(64), nullable=False),  # the operation and body, hashed
    Column("status", Integer, nullable=False),
    Column("made_id", String(300), nullable=False),
    Column("expires", String(40), nullable=False),
)
Index("ix_idempotency_keys_expires", idempotency_keys.c.party_id, idempotency_keys.c.expires)

# The guidelines each peer's node applies to requests from this node's party (read at sync):
# the deadlines a request to that peer will run under. JSON, as GET /api/v1/guidelines.
peer_guidelines = Table(
    "peer_guidelines",
    metadata,
    Column("party_id", String(100), primary_key=True),
    Column("body", Text, nullable=False),
    Column("fetched", String(40), nullable=False),
)

# Arrivals screened against the designations (attribution.arrivals): an identity's or an
# e-mail sender's name that matched one, for the node's admins and the object's page.
screening_hits = Table(
    "screening_hits",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("object_id", String(300), nullable=False),
    Column("collection_id", String(40), nullable=False),
    Column("screened", String(500), nullable=False),  # the name as the object gives it
    Column("designation_id", String(100), nullable=False),
    Column("matched", String(500), nullable=False),  # the designated name or alias
    Column("score", Float, nullable=False),
    Column("why", Text, nullable=False),  # in English
    # `why` as JSON, to be said in the reader's language (screening.reasons; migration 0036:
    # NULL for flags raised before it, shown in English).
    Column("reason", Text, nullable=True),
)
Index("ix_screening_hits_object", screening_hits.c.object_id)

# Every signing key this node has had (federation.keys): the current one (not retired), and
# those rotated away from, kept so that what they signed still verifies, here and at peers.
# The private half of the current key alone is kept, in the setting `signing_key`.
node_keys = Table(
    "node_keys",
    metadata,
    Column("fingerprint", String(60), primary_key=True),  # SHA256:… (federation.signing)
    Column("public_key", String(100), nullable=False),  # base64url, Ed25519 raw
    Column("created", String(40), nullable=False),
    Column("retired", String(40), nullable=True),  # when the next key replaced it
    # Stolen: what it signed dated from then on is refused (`accord key rotate
    # --compromised-since`).
    Column("compromised_from", String(40), nullable=True),
    # JSON: the announcement of this key, signed by the one before (federation.rotation);
    # None for the first key and one made after a compromise.
    Column("announcement", LargeBinary, nullable=True),
)

# Every key of each peer this node has pinned (federation.following): the current one (also
# in peers.public_key), those the peer rotated away from, and those revoked from a date.
peer_keys = Table(
    "peer_keys",
    metadata,
    Column("peer", String(100), ForeignKey("peers.name"), primary_key=True),
    Column("fingerprint", String(60), primary_key=True),
    Column("public_key", String(100), nullable=False),
    Column("pinned", String(40), nullable=False),  # when this node took it
    Column("how", String(20), nullable=False),  # added, announced, repinned
    Column("retired", String(40), nullable=True),  # when a later key replaced it here
    Column("revoked_from", String(40), nullable=True),  # stolen: refused from then on
    Column("announcement", LargeBinary, nullable=True),  # JSON: the one followed to take it
)

# The search index (store.search_index, migration 0018): the case-folded names, aliases and
# external ids of each newest version. PostgreSQL matches them with a GIN trigram index
# (pg_trgm); SQLite with an FTS5 trigram table, object_names_fts, over `text` (store.search_index
# adds to it, triggers keep it in step otherwise; it is not declared here, as SQLAlchemy cannot).
object_names = Table(
    "object_names",
    metadata,
    Column("name_id", Integer().with_variant(BigInteger(), "postgresql"), primary_key=True,
           autoincrement=True),
    # Declared, not enforced on PostgreSQL (migration 0025): `accord db check --thorough`.
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), nullable=False),
    Column("id", String(300), nullable=False),
    Column("kind", String(16), nullable=False),  # name, alias or external_id
    Column("text", Text, nullable=False),
    # The collection of the version named (migration 0034): a name is found exactly among
    # the collections its reader may read, never by walking the others'.
    Column("collection_id", String(40), nullable=True),
)
Index("ix_object_names_seq", object_names.c.seq)

# Each newest relationship's two ends: an object's page finds its relationships by either.
relationship_ends = Table(
    "relationship_ends",
    metadata,
    # Declared, not enforced on PostgreSQL (migration 0025): `accord db check --thorough`.
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),
    Column("source_ref", String(300), nullable=False),
    Column("target_ref", String(300), nullable=False),
)
# Covering (end, seq): PostgreSQL answers from the index alone.
Index("ix_relationship_ends_source", relationship_ends.c.source_ref, relationship_ends.c.seq)
Index("ix_relationship_ends_target", relationship_ends.c.target_ref, relationship_ends.c.seq)

# The attribution record filed by what each version is about (attribution.objects.filed_under):
# every version of a claim under its subject, of a position under its claim, so that the view
# of a subject or a claim reads its own claims and positions, not the whole record
# (migration 0030). Who may read a version is decided by the objects row, as for any read.
record_index = Table(
    "record_index",
    metadata,
    Column("seq", Integer, ForeignKey("objects.seq", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),
    Column("filed_under", String(300), nullable=False),
    Column("object_id", String(300), nullable=False),
)
Index("ix_record_index_filed", record_index.c.filed_under, record_index.c.object_id)

# Per API client (a digest of its Authorization header): the primary's WAL position after its
# latest write, for read-your-writes on every host (store.write_positions). UNLOGGED on
# PostgreSQL (migration 0024): worthless after a crash. Seconds since the epoch, host clocks.
write_positions = Table(
    "write_positions",
    metadata,
    Column("client", String(64), primary_key=True),
    Column("lsn", BigInteger, nullable=False),
    Column("written_at", Float, nullable=False),
)
Index("ix_write_positions_written_at", write_positions.c.written_at)
