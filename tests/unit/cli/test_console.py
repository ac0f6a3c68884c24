"""What the command line prints is printed as it is: colons in fingerprints (SHA256:AB:CD:…)
and in names are not taken for emoji codes."""

from accord.cli.common import err, out


def test_a_certificate_fingerprint_is_printed_as_it_is(capsys):
    err.print("pinned: SHA256:AB:CD:00 :smile: :+1:")
    out.print("SHA256:AB:CD:00")
    printed = capsys.readouterr()
    assert "pinned: SHA256:AB:CD:00 :smile: :+1:" in printed.err
    assert "SHA256:AB:CD:00" in printed.out
