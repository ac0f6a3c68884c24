"""The command line prints times in UTC unless --tz names another zone; --json stays in UTC;
a party's time zone is set with `accord party time-zone`."""

from __future__ import annotations

import json
import re


def test_times_are_utc_unless_tz_says_otherwise(databases, tmp_path, accord):
    db = databases.new("tz")
    assert accord("init", "--party", "US-CERT", db=db).returncode == 0
    utc = accord("token", "list", db=db)
    assert utc.returncode == 0 and re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
                                              utc.stdout)
    beijing = accord("--tz", "Asia/Shanghai", "token", "list", db=db)
    assert beijing.returncode == 0, beijing.stderr
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", beijing.stdout)
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
