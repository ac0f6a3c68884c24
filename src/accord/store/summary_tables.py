"""The request summaries: what lists, the dashboard and the review read of each request, kept
beside the ledger it is derived from (store.summaries). Tables of the node's one schema
(store.schema's metadata); migrations 0019, 0020, 0041 and 0042 create them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from accord.store.schema import metadata

# What lists and the dashboard show of each request (cooperation.summary): a cache derived
# from the ledger, refreshed in the transaction of every append to it (store.summaries) and
# rebuilt from it at will; never the source of truth. Times are STIX timestamps with six
# fraction digits, so they sort as text.
request_summaries = Table(
    "request_summaries",
    metadata,
    Column("request_id", String(300), primary_key=True),
    Column("requester", String(100), nullable=False),
    Column("addressee", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("urgency", String(40), nullable=False),
    Column("summary", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("lang", String(40), nullable=False),
    Column("is_exercise", Boolean, nullable=False),
    Column("created", String(40), nullable=False),
    Column("received", String(40), nullable=True),
    Column("acknowledge_by", String(40), nullable=True),
    Column("respond_by", String(40), nullable=True),
    Column("is_acknowledged", Boolean, nullable=False),
    Column("is_answered", Boolean, nullable=False),
    Column("is_rated", Boolean, nullable=False),
    Column("is_escalated", Boolean, nullable=False),
    Column("settled_state", String(20), nullable=False),  # never "overdue": see overdue_after
    Column("overdue_after", String(40), nullable=True),
    Column("last_act", String(40), nullable=False),
)
# What a party sent an addressee lately: the duplicate check of a new request (0023).
Index("ix_request_summaries_sent", request_summaries.c.requester, request_summaries.c.addressee,
      request_summaries.c.created)
# What a party has running with an addressee: the bound of a new request (store.running_bound;
# 0033).
Index("ix_request_summaries_running", request_summaries.c.requester,
      request_summaries.c.addressee, request_summaries.c.settled_state)

# Who may see each request (its parties that may read the request object), one row per
# party, with what that party's lists filter, count and sort by: so a dashboard reads one
# party's rows from the index alone.
request_readers = Table(
    "request_readers",
    metadata,
    Column("party_id", String(100), primary_key=True),
    Column("request_id", String(300), primary_key=True),
    Column("role", String(20), nullable=False),  # requester, addressee, shared
    Column("settled_state", String(20), nullable=False),
    Column("overdue_after", String(40), nullable=True),
    Column("sort_time", String(40), nullable=False),  # received, else created
    Column("action", String(40), nullable=False),  # what the party should do; "" for nothing
    Column("is_escalated", Boolean, nullable=False),  # with an action: what needs the party
    # The party sees this ledger whole, as the node does (every entry counted is in the
    # requests collection, newest, and readable by it): its review may read the summary.
    Column("sees_ledger", Boolean, nullable=True),  # NULL: summarised before migration 0020
)
Index("ix_request_readers_counts", request_readers.c.party_id, request_readers.c.role,
      request_readers.c.settled_state, request_readers.c.overdue_after, request_readers.c.action)
# What needs the party first (an action or an open escalation), by urgency: from the index.
Index("ix_request_readers_needs", request_readers.c.party_id, request_readers.c.is_escalated,
      request_readers.c.action, request_readers.c.overdue_after, request_readers.c.sort_time,
      request_readers.c.request_id)
Index("ix_request_readers_newest", request_readers.c.party_id, request_readers.c.sort_time,
      request_readers.c.request_id)
Index("ix_request_readers_request", request_readers.c.request_id)

# What the review counts of each request (cooperation.review.Counted), beside its summary and
# in the same transaction: narrow, so that a review of 100,000 requests reads a few megabytes.
# A row whose counted_at is NULL was not derived yet (migration 0020 made it; summaries.mend_in
# derives it).
request_figures = Table(
    "request_figures",
    metadata,
    Column("request_id", String(300), primary_key=True),
    Column("requester", String(100), nullable=False),
    Column("addressee", String(100), nullable=False),
    Column("is_exercise", Boolean, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("urgency", String(40), nullable=False),
    Column("counted_at", String(40), nullable=True),  # received, else created
    Column("is_acknowledged", Boolean, nullable=True),
    Column("acknowledged_on_time", Boolean, nullable=True),
    Column("microseconds_to_acknowledge", BigInteger, nullable=True),
    Column("is_answered", Boolean, nullable=True),
    Column("answered_on_time", Boolean, nullable=True),
    Column("microseconds_to_answer", BigInteger, nullable=True),
    Column("outcome", String(40), nullable=True),
    Column("is_withdrawn", Boolean, nullable=True),
    Column("overdue_after", String(40), nullable=True),
    Column("escalation_reasons", Text, nullable=True),  # a JSON list; NULL: none
    Column("backdated_acts", Integer, nullable=True),
    Column("rating", Integer, nullable=True),
    # Whether every party that may read the request in the requests collection has its row in
    # request_readers (else that party's review must read this ledger itself).
    Column("readers_listed", Boolean, nullable=True),
)
# A review reads the requests of its period from here.
Index("ix_request_figures_counted", request_figures.c.counted_at)
Index("ix_request_figures_listed", request_figures.c.readers_listed)

# The translations of each request's summary and description that each of its readers reads
# beside them on the request page (cooperation.translations.renditions of the versions that
# reader may read), one row per translation and language: what a search of the reader's list
# finds the request by besides its own words, and the translated summary shown where the words
# were found in one (store.summary_translations; migration 0041). A reader has rows for the
# requests it has a row of request_readers for, and never for another party's translation.
request_translations = Table(
    "request_translations",
    metadata,
    Column("party_id", String(100), primary_key=True),
    Column("request_id", String(300), primary_key=True),
    Column("translation_id", String(300), primary_key=True),  # language-content--UUID
    Column("lang", String(100), primary_key=True),
    Column("translator", String(300), nullable=False),  # its created_by_ref
    Column("translated", String(40), nullable=False),  # the version's modified
    Column("version", Integer, nullable=False),  # 1 for the translator's first
    Column("summary", Text, nullable=True),
    Column("description", Text, nullable=True),
)
Index("ix_request_translations_request", request_translations.c.request_id)

# The words a search of the requests list looks for, case-folded (store.request_words;
# migration 0042): one row of each request's own (party_id "": its summary, description, id,
# requester and addressee), and one for each reader that reads translations of its texts, of
# their words (party_id: that reader). Derived with the rows above, in their transaction.
# PostgreSQL finds a needle in `text` through a GIN trigram index (pg_trgm), SQLite through an
# FTS5 trigram table, request_words_fts (not declared here, as SQLAlchemy cannot).
request_words = Table(
    "request_words",
    metadata,
    Column("word_id", Integer().with_variant(BigInteger(), "postgresql"), primary_key=True,
           autoincrement=True),
    Column("request_id", String(300), nullable=False),
    Column("party_id", String(100), nullable=False),
    Column("text", Text, nullable=False),
)
Index("ix_request_words_request", request_words.c.request_id, request_words.c.party_id,
      unique=True)
