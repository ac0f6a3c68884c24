"""How an attribution stands, and why in words: contested, uncontested, agreed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accord.attribution.model import Claim, Position
from accord.attribution.reasons import said
from accord.attribution.standing import claim_standing, subject_standing
from accord.i18n.catalogue import catalogue

US, CN, UK, FR = "identity--us", "identity--cn", "identity--uk", "identity--fr"
NAMES = {US: "United States", CN: "China", UK: "United Kingdom", FR: "France",
         "intrusion-set--apt19": "APT19", "intrusion-set--apt10": "APT10"}
T0 = datetime(2015, 9, 1, tzinfo=UTC)
SUBJECT = "campaign--opm"


def claim(cid="x-accord-claim--1", by=US, to=("intrusion-set--apt19",), at=T0, sponsor="CN"):
    return Claim(cid, by, at, SUBJECT, to, sponsor, ("technical-forensics",), 80,
                 "OPM intrusions are APT19's work.")


def position(party, stance, hours=1, cid="x-accord-claim--1", pid=None):
    return Position(pid or f"opinion--{party}-{hours}", party, T0 + timedelta(hours=hours), cid,
                    stance, f"{party} says {stance}")


def test_a_claim_nobody_answered_is_uncontested_and_its_claimant_stands_first():
    standing = claim_standing(claim(), [], NAMES)
    assert standing.status == "uncontested"
    assert standing.reason == ("Uncontested: United States asserts it and no other party has "
                               "taken a position.")
    assert [(s.party, s.position, s.is_claimant) for s in standing.stands] == [
        (US, "agree", True)]


def test_a_denial_contests_the_claim_and_names_who_denies():
    standing = claim_standing(claim(), [position(CN, "deny"), position(UK, "agree")], NAMES)
    assert standing.status == "contested"
    assert standing.reason == ("Contested: United States asserts it, but China denies it; "
                               "United Kingdom supports it.")


def test_support_without_dispute_is_agreed():
    standing = claim_standing(claim(), [position(UK, "partly-agree"), position(FR, "agree", 2)],
                              NAMES)
    assert standing.status == "agreed"
    assert "United Kingdom and France support it" in standing.reason


def test_the_newest_position_of_a_party_counts_and_the_history_keeps_all():
    first, later = position(CN, "deny", 1), position(CN, "neutral", 5)
    standing = claim_standing(claim(), [later, first], NAMES)
    assert [s.position for s in standing.stands] == ["agree", "neutral"]
    assert standing.history == (first, later)
    assert standing.status == "uncontested" and "China is neutral" in standing.reason


def test_positions_on_other_claims_are_not_counted():
    standing = claim_standing(claim(), [position(CN, "deny", cid="x-accord-claim--2")], NAMES)
    assert standing.status == "uncontested" and standing.history == ()


def test_a_claimant_that_walks_back_its_claim_is_said_so():
    standing = claim_standing(claim(), [position(US, "neutral")], NAMES)
    assert standing.status == "uncontested" and "no longer supports it" in standing.reason


def test_rival_claims_make_the_subject_contested():
    rival = claim("x-accord-claim--2", by=CN, to=("intrusion-set--apt10",), sponsor=None,
                  at=T0 + timedelta(days=1))
    standing = subject_standing(SUBJECT, [claim(), rival], [], NAMES)
    assert standing.status == "contested"
    assert "United States attributes it to APT19 and CN while China attributes it to APT10" \
        in standing.reason


def test_the_subject_follows_its_claims():
    assert subject_standing(SUBJECT, [], [], NAMES).reason == "No party attributes this activity."
    agreed = subject_standing(SUBJECT, [claim()], [position(UK, "agree")], NAMES)
    assert agreed.status == "agreed"
    denied = subject_standing(SUBJECT, [claim()], [position(CN, "deny")], NAMES)
    assert denied.status == "contested" and "China denies it" in denied.reason


def test_a_claimant_that_walked_its_claim_back_is_not_said_to_assert_it():
    # An officer's finding: "US asserts it, but China denies it" went on being said after the
    # US had taken a neutral (or disagreeing) position on its own claim.
    for walked_back in ("neutral", "disagree"):
        standing = claim_standing(claim(), [position(CN, "deny", 1),
                                            position(US, walked_back, 2)], NAMES)
        assert standing.status == "contested"
        assert standing.reason == (
            "Contested: United States, who made the claim, no longer supports it (its position "
            f"is now '{walked_back}'), and China denies it.")
        assert "asserts" not in standing.reason
        in_chinese = said(standing.said, NAMES, catalogue("zh-Hans"))
        assert "已不再支持它" in in_chinese and "主张此归因" not in in_chinese
    subject = subject_standing(SUBJECT, [claim()], [position(CN, "deny", 1),
                                                    position(US, "neutral", 2)], NAMES)
    assert subject.reason.startswith("Contested: United States, who made the claim, no longer")


def test_a_claim_walked_back_is_no_rival_answer():
    # A reviewer's finding: after the US took 'neutral' on its own claim, its subject still
    # said "United States attributes it to APT19 and CN while China attributes it to APT10".
    rival = claim("x-accord-claim--2", by=CN, to=("intrusion-set--apt10",), sponsor=None,
                  at=T0 + timedelta(hours=1))
    walked_back = position(US, "neutral", 3)
    standing = subject_standing(SUBJECT, [claim(), rival], [walked_back], NAMES)
    assert "attributes it to APT19" not in standing.reason
    assert standing.status == "uncontested", standing.reason
