"""`accord claim` and `accord designation` as scripts use them: the exact command forms."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import NodeDatabases, created, run_accord
from tests.opm import APT19, OPM, opm_bundle

US, CN = "United States (US-CERT)", "China (CNCERT/CC)"


def lines(stdout: str) -> list[dict]:
    """A listing's --json: one object per line."""
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_claim_is_made_denied_and_shown_as_scripts_read_it(
        databases: NodeDatabases, tmp_path: Path):
    db = databases.new("us")
    created("init", "--party", US, db=db)
    created("party", "add", CN, db=db)
    bundle = opm_bundle(tmp_path / "opm.json")
    assert run_accord("import", str(bundle), "--collection", "evidence", db=db).returncode == 0
    claim = created("claim", "create", "--subject", OPM, "--attributed-to", APT19,
                    "--sponsor", "CN", "--basis", "technical-forensics,indictment",
                    "--confidence", "80", "--summary", "APT19 intruded into OPM.", db=db)
    assert claim.startswith("x-accord-claim--")
    position = created("claim", "respond", claim, "--position", "deny", "--basis",
                       "government-statement", "--text", "China opposes groundless accusations.",
                       "--as", CN, db=db)
    assert position.startswith("opinion--")
    shown = run_accord("claim", "show", claim, "--json", db=db)
    data = json.loads(shown.stdout)
    assert data["status"] == "contested" and "denies it" in data["status_reason"]
    assert [(p["party"], p["position"]) for p in data["positions"]] == [(US, "agree"), (CN, "deny")]
    assert set(data["positions"][1]) >= {"party", "party_id", "position", "basis", "text", "at"}
    listed = lines(run_accord("claim", "list", "--subject", OPM, "--json", db=db).stdout)
    assert [c["id"] for c in listed] == [claim]
    view = json.loads(run_accord("claim", "view", OPM, "--json", db=db).stdout)
    assert view["status"] == "contested" and view["subject_name"] == "OPM intrusions"
    bad = run_accord("claim", "respond", claim, "--position", "maybe", "--text", "x", db=db)
    assert bad.returncode != 0 and "not one of: agree" in bad.stderr and bad.stdout == ""
    # The claimant answering the denial with 'disagree' walks its claim back: said so, then.
    answered = run_accord("claim", "respond", claim, "--position", "disagree", "--text",
                          "We dispute the denial.", db=db)
    assert answered.returncode == 0, answered.stderr
    said = " ".join(answered.stderr.split())
    assert "on your own claim, 'disagree' says you no longer support it" in said
    assert f"{US}, who made the claim, no longer supports it" in said and "asserts" not in said
    text = run_accord("claim", "show", claim, db=db, env={"COLUMNS": "200"})
    assert "status: contested" in text.stdout and "contested: Contested" not in text.stdout


def test_a_designation_is_added_listed_and_lifted(databases: NodeDatabases, tmp_path: Path):
    db = databases.new("us")
    created("init", "--party", US, db=db)
    made = created("designation", "add", "Wang Dong", "--kind", "individual", "--alias", "王东",
                   "--alias", "UglyGorilla", "--programme", "CYBER2", "--legal-basis",
                   "Executive Order 13694", db=db)
    listed = lines(run_accord("designation", "list", "--json", db=db).stdout)
    assert [(d["id"], d["aliases"], d["in_force"]) for d in listed] == [
        (made, ["王东", "UglyGorilla"], True)]
    done = run_accord("designation", "lift", made, "--reason", "Delisted.", db=db)
    assert done.returncode == 0, done.stderr
    listed = lines(run_accord("designation", "list", "--json", db=db).stdout)
    assert listed[0]["in_force"] is False and listed[0]["lift_reason"] == "Delisted."


def test_a_name_is_screened_alone_and_in_a_batch(databases: NodeDatabases, tmp_path: Path):
    db = databases.new("us")
    created("init", "--party", US, db=db)
    made = created("designation", "add", "Sun Kailiang", "--kind", "individual", "--alias",
                   "孙凯亮", "--alias", "Jack Sun", "--legal-basis", "Indictment, 2014", db=db)
    one = json.loads(run_accord("screen", "Sun Kai-liang", "--json", db=db).stdout)
    assert one["query"] == "Sun Kai-liang"
    [best, *_] = one["matches"]
    assert (best["id"], best["match"], best["name"]) == (made, True, "Sun Kailiang")
    assert set(best) >= {"id", "name", "matched", "score", "match", "why", "listed_by"}
    assert best["listed_by_name"] == US  # whose word it is
    assert 0 <= best["score"] <= 1 and "Sun Kailiang" in best["why"]
    names = tmp_path / "names.csv"
    names.write_text("name,country\n孙凯亮,CN\nLi Na,CN\nKailiang Sun,CN\n=HYPERLINK(x),US\n",
                     encoding="utf-8")
    results = tmp_path / "results.csv"
    done = run_accord("screen", "--file", str(names), "-o", str(results), db=db)
    assert done.returncode == 0, done.stderr
    assert "4 names screened, 2 matched" in done.stderr
    assert results.read_bytes().startswith(b"\xef\xbb\xbf")  # for spreadsheets
    rows = results.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "query,match,score,id,name,matched,kind,listed_by,why,collection"
    assert [r.split(",")[1] for r in rows[1:]] == ["yes", "no", "yes", "no"]
    assert rows[4].startswith("'=HYPERLINK(x),")  # a spreadsheet shows it, never runs it
    both = run_accord("screen", "x", "--file", str(names), db=db)
    assert both.returncode != 0 and "not both" in both.stderr
    # As a spreadsheet in Chinese saves a CSV: GBK, not UTF-8.
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("name\n孙凯亮\n".encode("gbk"))
    read = run_accord("screen", "--file", str(gbk), db=db)
    assert read.returncode == 0, read.stderr
    assert "read as GB18030" in read.stderr and "1 name screened, 1 matched" in read.stderr
    as_json = run_accord("screen", "--file", str(names), "--json", db=db)
    assert as_json.returncode != 0 and "--json is for one NAME" in as_json.stderr


def test_a_known_actor_is_screened_with_its_id_and_collection(
        databases: NodeDatabases, tmp_path: Path):
    db = databases.new("us")
    created("init", "--party", US, db=db)
    bundle = opm_bundle(tmp_path / "opm.json")
    assert run_accord("import", str(bundle), "--collection", "evidence", db=db).returncode == 0
    shown = run_accord("screen", "APT19", db=db, env={"COLUMNS": "100"})
    assert shown.returncode == 0, shown.stderr
    text = "".join(shown.stdout.split())  # the table's cells fold over lines
    assert APT19 in text  # never cut: it is what one looks up
    assert "Evidence" in text
    [best, *_] = json.loads(run_accord("screen", "APT19", "--json", db=db).stdout)["matches"]
    assert (best["id"], best["kind"]) == (APT19, "intrusion-set")
    assert best["collection_title"] == "Evidence" and best["collection_id"]


def test_a_designation_recorded_after_the_fact_keeps_its_date(databases: NodeDatabases):
    db = databases.new("us")
    created("init", "--party", US, db=db)
    made = created("designation", "add", "Wang Dong", "--kind", "individual",
                   "--legal-basis", "Indictment, 2014", "--designated", "2014-05-19", db=db)
    [listed] = lines(run_accord("designation", "list", "--json", db=db).stdout)
    assert (listed["id"], listed["designated"]) == (made, "2014-05-19T00:00:00.000000Z")
    typo = run_accord("designation", "add", "Sun Kailiang", "--kind", "individual",
                      "--legal-basis", "Indictment, 2014", "--designated", "2014-19-05", db=db)
    assert typo.returncode != 0 and "--designated" in typo.stderr
    assert "Traceback" not in typo.stderr
    ahead = run_accord("designation", "add", "Sun Kailiang", "--kind", "individual",
                       "--legal-basis", "Indictment, 2014", "--designated", "2999-01-01", db=db)
    assert ahead.returncode != 0 and "is in the future" in ahead.stderr
