"""The correlation index keyed by who may read: (collection, audience, kind, value, seq).

A look-up used to seek the value alone and then drop the rows its reader may not read: its
time grew with values hidden from the reader (a /16 took 12 ms with 20,000 hidden values in it,
2 ms with none). Now the key starts with the collection and the audience (every reader of the
collection, "*", or one party that may read a version marked beyond AMBER), and only newest
versions are indexed; see store.observable_index. What each sighting sighted is indexed too (kind
"sighting-of"), so that counting sightings reads only those the reader may read. Also an index
of each party's own grants.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_OPEN = "COALESCE(o.tlp, c.default_tlp) <= 2"  # trust.markings: at most AMBER


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(
        "CREATE TABLE observables_new (collection_id VARCHAR(40) NOT NULL, "
        "audience VARCHAR(300) NOT NULL, kind VARCHAR(16) NOT NULL, "
        "value VARCHAR(2048) NOT NULL, "
        "seq INTEGER NOT NULL REFERENCES objects (seq) ON DELETE CASCADE, "
        "CONSTRAINT observables_pk PRIMARY KEY (collection_id, audience, kind, value, seq))"
        + (" WITHOUT ROWID" if sqlite else ""))
    octets = "length(CAST(v.value AS BLOB))" if sqlite else "octet_length(v.value)"
    mentions = ("(SELECT seq, kind, value FROM observables UNION ALL "
                "SELECT seq, 'sighting-of', sighting_of_ref FROM sightings)")
    newest = (f"FROM {mentions} v JOIN objects o ON o.seq = v.seq "
              f"JOIN collections c ON c.id = o.collection_id WHERE o.is_latest "
              f"AND {octets} <= 2048")
    op.execute(f"INSERT INTO observables_new SELECT o.collection_id, '*', v.kind, v.value, "
               f"v.seq {newest} AND {_OPEN}")
    # Beyond AMBER: one row for each party that may read it (creator, poster, recipients).
    op.execute(
        "INSERT INTO observables_new SELECT DISTINCT o.collection_id, a.party, v.kind, v.value, "
        f"v.seq FROM {mentions} v JOIN objects o ON o.seq = v.seq "
        "JOIN collections c ON c.id = o.collection_id "
        "JOIN (SELECT seq, creator_id AS party FROM objects WHERE creator_id IS NOT NULL "
        "      UNION SELECT seq, poster_id FROM objects WHERE poster_id IS NOT NULL "
        "      UNION SELECT seq, party_id FROM recipients) a ON a.seq = v.seq "
        f"WHERE o.is_latest AND {octets} <= 2048 AND NOT {_OPEN}")
    op.execute("DROP TABLE observables")
    op.execute("ALTER TABLE observables_new RENAME TO observables")
    op.execute("CREATE INDEX ix_observables_seq ON observables (seq)")
    op.execute("CREATE INDEX ix_permissions_party ON permissions (party_id, collection_id)")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DROP INDEX ix_permissions_party")
    op.execute(
        "CREATE TABLE observables_old (kind VARCHAR(16) NOT NULL, value VARCHAR(2048) NOT NULL, "
        "seq INTEGER NOT NULL REFERENCES objects (seq) ON DELETE CASCADE, "
        "PRIMARY KEY (kind, value, seq))" + (" WITHOUT ROWID" if sqlite else ""))
    # Older versions were not indexed: a look-up of the older schema filters them out anyway.
    op.execute("INSERT INTO observables_old SELECT DISTINCT kind, value, seq FROM observables "
               "WHERE kind <> 'sighting-of'")
    op.execute("DROP TABLE observables")
    op.execute("ALTER TABLE observables_old RENAME TO observables")
    op.execute("CREATE INDEX ix_observables_seq ON observables (seq)")
