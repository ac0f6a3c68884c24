"""Who may add a version of an object: the creator rule, stewardship, party identities."""

from accord.trust.ownership import Holding, why_not_version

ALPHA, BRAVO = "identity--aaaaaaaa-0000-4000-8000-000000000001", \
    "identity--bbbbbbbb-0000-4000-8000-000000000002"
MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
OID = "intrusion-set--6a2e693f-24e5-451a-9f88-b36a108e5662"
PARTIES = frozenset({ALPHA, BRAVO})


def test_anyone_may_put_a_new_object_in_a_collection():
    assert why_not_version(OID, BRAVO, None, parties=PARTIES) is None


def test_only_the_steward_may_version_an_object_of_an_outside_creator():
    held = Holding(creator=MITRE, steward=ALPHA)
    assert why_not_version(OID, ALPHA, held, parties=PARTIES) is None
    assert "only that party" in why_not_version(OID, BRAVO, held, parties=PARTIES)


def test_an_unattributed_object_is_held_by_its_steward():
    held = Holding(creator=None, steward=ALPHA)
    assert why_not_version(OID, BRAVO, held, parties=PARTIES) is not None


def test_the_operator_and_the_nodes_tooling_may_version_what_others_hold():
    held = Holding(creator=MITRE, steward=BRAVO)
    assert why_not_version(OID, ALPHA, held, parties=PARTIES, operator=True) is None
    assert why_not_version(OID, None, held, parties=PARTIES) is None
    assert why_not_version(OID, ALPHA, Holding(MITRE, None), parties=PARTIES) is not None


def test_an_object_of_a_party_is_left_to_the_creator_rule():
    assert why_not_version(OID, BRAVO, Holding(ALPHA, ALPHA), parties=PARTIES) is None


def test_a_partys_identity_is_that_partys_alone():
    assert "identity of a party" in why_not_version(ALPHA, BRAVO, None, parties=PARTIES)
    assert why_not_version(ALPHA, BRAVO, None, parties=PARTIES, operator=True) is not None
    assert why_not_version(BRAVO, BRAVO, None, parties=PARTIES) is None
