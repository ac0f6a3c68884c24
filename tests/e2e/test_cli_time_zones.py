"""The command line prints times in UTC unless --tz names another zone; --json stays in UTC;
a party's time zone is set with `accord party time-zone`."""

from __future__ import annotations

import json
import re

from tests.e2e.conftest import imported_indicator


def test_times_are_utc_unless_tz_says_otherwise(databases, tmp_path, accord):
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    utc = accord("token", "list", db=db)
    assert utc.returncode == 0 and re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
                                              utc.stdout)
    beijing = accord("--tz", "Asia/Shanghai", "token", "list", db=db)
    assert beijing.returncode == 0, beijing.stderr
    # As precise as in UTC: the fraction of a second stays (a version is copied from here).
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,9}\+08:00", beijing.stdout)
    as_json = accord("--tz", "Asia/Shanghai", "token", "list", "--json", db=db)
    assert json.loads(as_json.stdout.splitlines()[0])["created"].endswith("Z")

    wrong = accord("--tz", "Beijing", "token", "list", db=db)
    assert wrong.returncode != 0 and wrong.stdout == "" and "Traceback" not in wrong.stderr
    assert "--tz: 'Beijing' is not a time zone: give an IANA name such as Asia/Shanghai" in \
        " ".join(wrong.stderr.split())


def test_a_party_s_time_zone_is_set_listed_and_checked(databases, tmp_path, accord):
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    done = accord("party", "time-zone", "US-CERT", "America/New_York", db=db)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert "US-CERT: time zone America/New_York." in done.stderr
    listed = accord("party", "list", "--json", db=db)
    assert json.loads(listed.stdout)["time_zone"] == "America/New_York"
    wrong = accord("party", "time-zone", "US-CERT", "Washington", db=db)
    assert wrong.returncode != 0 and "'Washington' is not a time zone" in wrong.stderr
    forgot = accord("party", "time-zone", "US-CERT", "", db=db)
    assert forgot.returncode == 0
    assert json.loads(accord("party", "list", "--json", db=db).stdout)["time_zone"] is None


def test_times_typed_are_read_in_the_zone_tz_names(databases, tmp_path, accord):
    # What --tz prints, it reads: an officer in Beijing types Beijing time.
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    evidence = imported_indicator(db, tmp_path, "72")
    made = accord("--tz", "Asia/Shanghai", "request", "create", "--to", "CNCERT", "--kind",
                  "mitigation", "--category", "intrusion", "--urgency", "routine",
                  "--evidence", evidence, "--summary", "Beaconing to 198.51.100.7",
                  "--activity-start", "2015-06-04 10:00", "--activity-end", "2015-06-05",
                  db=db)
    assert made.returncode == 0, made.stderr
    shown = json.loads(accord("request", "show", made.stdout.strip(), "--json",
                              db=db).stdout)
    assert shown["activity"]["start"].startswith("2015-06-04T02:00:00")  # 10:00 in Beijing
    assert shown["activity"]["end"].startswith("2015-06-04T16:00:00")  # its midnight
    # The audit trail from a date, as well as from a whole timestamp.
    since = accord("--tz", "Asia/Shanghai", "audit", "--since", "2000-01-01", "--json",
                   db=db)
    assert since.returncode == 0 and since.stdout.strip(), since.stderr
    wrong = accord("audit", "--since", "yesterday", db=db)
    assert wrong.returncode == 2 and "--since: 'yesterday' is not a date or time" in \
        " ".join(wrong.stderr.split())


def test_a_review_s_instants_are_read_in_the_zone_tz_names_its_days_in_utc(databases,
                                                                           accord):
    # `request create` read a time without offset in the --tz zone, `review` as UTC.
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0

    def period(*options: str) -> dict:
        done = accord(*options, "--format", "json", db=db)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["period"]

    beijing = period("--tz", "Asia/Shanghai", "review", "--from", "2026-07-01T00:00",
                     "--to", "2027-01-01")
    assert beijing["from"].startswith("2026-06-30T16:00:00")
    # A day is the review's calendar's, UTC, whatever --tz (the half-years are counted so).
    assert beijing["to"].startswith("2027-01-01T00:00:00")
    offset = period("--tz", "Asia/Shanghai", "review", "--from", "2026-07-01T00:00:00Z",
                    "--to", "2027-01-01")
    assert offset["from"].startswith("2026-07-01T00:00:00")


def test_a_refusal_names_its_times_in_the_zone_tz_names(databases, tmp_path, accord):
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    assert accord("party", "add", "CNCERT", db=db).returncode == 0
    evidence = imported_indicator(db, tmp_path, "73")
    made = accord("request", "create", "--to", "CNCERT", "--kind", "information",
                  "--category", "intrusion", "--urgency", "routine", "--evidence", evidence,
                  "--summary", "Who runs 198.51.100.7?", db=db)
    rid = made.stdout.strip()
    assert accord("request", "respond", rid, "--as", "CNCERT", "--outcome",
                  "no-information-found", db=db).returncode == 0
    for zone, pattern in (("Asia/Shanghai", r"answered at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                                            r"(\.\d+)?\+08:00"),
                          ("UTC", r"answered at \d{4}-\d\d-\d\d \d\d:\d\d UTC")):
        refused = accord("--tz", zone, "request", "escalate", rid, "--reason", "manual",
                         "--note", "again", db=db)
        said = " ".join(refused.stderr.split())
        assert refused.returncode != 0 and re.search(pattern, said), said


def test_export_reads_a_time_typed_in_the_zone_tz_names(databases, tmp_path, accord):
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    imported_indicator(db, tmp_path, "74")
    everything = accord("--tz", "Asia/Shanghai", "export", "--added-after", "2000-01-01 08:00",
                        db=db)
    assert everything.returncode == 0, everything.stderr
    assert json.loads(everything.stdout)["objects"]
    later = accord("--tz", "Asia/Shanghai", "export", "--added-after", "2999-01-01", db=db)
    assert later.returncode == 0 and "objects" not in json.loads(later.stdout)
    wrong = accord("export", "--added-after", "soon", db=db)
    assert wrong.returncode == 2 and "--added-after: 'soon' is not a date or time" in \
        " ".join(wrong.stderr.split())
