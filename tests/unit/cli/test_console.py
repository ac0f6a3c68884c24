"""What the command line prints is printed as it is: colons in fingerprints (SHA256:AB:CD:…)
and in names are not taken for emoji codes."""

from accord.cli.common import err, out


def test_a_certificate_fingerprint_is_printed_as_it_is(capsys):
    err.print("pinned: SHA256:AB:CD:00 :smile: :+1:")
    out.print("SHA256:AB:CD:00")
    printed = capsys.readouterr()
    assert "pinned: SHA256:AB:CD:00 :smile: :+1:" in printed.err
    assert "SHA256:AB:CD:00" in printed.out


def test_a_listing_never_cuts_an_id_however_narrow_the_terminal(capsys, monkeypatch):
    # An officer copies an id from a listing into `designation amend`; at 120 columns, and
    # even piped at 250, a listing of many columns cut it to "x-accord-de…".
    from accord.cli import common

    monkeypatch.setattr(common.out, "_width", 100)
    long = "x-accord-designation--e67bcec7-6eef-4f95-882f-f0c12ef7499a"
    rows = [{"id": long, "name": "Sichuan Silence Information Technology Co., Ltd.",
             "aliases": ["四川无声信息技术有限公司", "Sichuan Silence"], "party": "United States",
             "designated": "2020-12-10T00:00:00.000Z", "note": "x" * 80}]
    common.listing(rows, ("id", "name", "aliases", "party", "designated", "note"),
                   as_json=False)
    assert long in capsys.readouterr().out
    # As the audit trail's object ids, and the request an escalation is of.
    rows = [{"request": long, "object_ids": [long, long], "note": "x" * 120}]
    common.listing(rows, ("request", "object_ids", "note"), as_json=False)
    assert capsys.readouterr().out.count(long) == 3
