"""The verdicts of `accord db check` on what it found: the revision, and the schema's objects
compared with those the migrations make."""

from __future__ import annotations

from accord.store.checkup import Checkup, Finding, revision_finding, schema_finding

KNOWN = ["0001", "0002", "0003"]


def test_the_revision_this_accord_expects_is_no_problem():
    assert revision_finding("0003", KNOWN, "0003").is_ok


def test_an_older_revision_asks_for_db_migrate():
    finding = revision_finding("0002", KNOWN, "0003")
    assert not finding.is_ok and "accord db migrate" in finding.problems[0]


def test_an_unknown_revision_is_from_a_newer_accord():
    finding = revision_finding("0009", KNOWN, "0003")
    assert not finding.is_ok and "newer than this Accord knows" in finding.problems[0]


def test_no_schema_at_all_is_a_problem():
    assert not revision_finding(None, KNOWN, "0003").is_ok


EXPECTED = {"table audit": "", "index ix_audit_at": "CREATE INDEX ix_audit_at ON audit (at)",
            "constraint audit_pkey": "on audit: PRIMARY KEY (seq)"}


def test_a_schema_as_the_migrations_make_it_is_healthy():
    finding = schema_finding(EXPECTED, dict(EXPECTED))
    assert finding.is_ok and finding.notes == ()
    assert finding.summary == "1 constraint, 1 index, 1 table expected"


def test_statistics_objects_are_counted_in_words():
    expected = {**EXPECTED, "statistics audit_objects_hash_of_id": "CREATE STATISTICS …",
                "statistics other": "CREATE STATISTICS …", "index ix_audit_party": "…",
                "trigger names_removed": "CREATE TRIGGER …"}
    assert schema_finding(expected, dict(expected)).summary == \
        "1 constraint, 2 indexes, 2 statistics objects, 1 table, 1 trigger expected"


def test_missing_and_changed_objects_are_problems_extra_ones_notes():
    present = dict(EXPECTED)
    del present["index ix_audit_at"]
    present["constraint audit_pkey"] = "on audit: PRIMARY KEY (at)"
    present["index ix_mine"] = "CREATE INDEX ix_mine ON audit (action)"
    finding = schema_finding(EXPECTED, present)
    assert finding.problems == (
        "index ix_audit_at is missing: make it again with CREATE INDEX ix_audit_at ON audit (at)",
        "constraint audit_pkey differs: 'on audit: PRIMARY KEY (at)', the migrations make "
        "'on audit: PRIMARY KEY (seq)'")
    assert finding.notes == ("index ix_mine is not made by the migrations",)


def test_a_column_is_compared_and_a_table_of_the_operators_noted_once():
    expected = {**EXPECTED, "column audit.at": "text not null"}
    present = {**EXPECTED, "column audit.at": "text null", "table mine": "",
               "column mine.a": "integer null", "column audit.extra": "text null"}
    finding = schema_finding(expected, present)
    assert finding.problems == (
        "column audit.at differs: 'text null', the migrations make 'text not null'",)
    assert finding.notes == ("column audit.extra is not made by the migrations",
                             "table mine is not made by the migrations")


def test_a_checkup_is_healthy_only_if_every_finding_is():
    fine, bad = Finding("a", "fine"), Finding("b", "bad", ("broken",))
    assert Checkup((fine,)).is_healthy
    assert not Checkup((fine, bad)).is_healthy
