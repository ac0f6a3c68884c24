"""Key rotation: an announcement is verifiable with the old key alone, and a peer follows a
change of key only along announcements from the key it pinned."""

from __future__ import annotations

import base64

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.federation.rotation import (
    MAX_ANNOUNCEMENTS,
    KeyChangeRefused,
    announce,
    chain,
    parse,
    predecessors,
    why_not_valid,
)
from accord.federation.signing import (
    KnownKey,
    fingerprint,
    key_fingerprint,
    public_bytes,
    publish,
    sign,
    why_not_signed,
)

PARTY = "identity--d9555ff1-0409-4a1f-bb02-0987eb3aac57"
OTHER_PARTY = "identity--fcbb9d76-ede8-408e-9257-ecaf3df20d02"
K0, K1, K2, THIEF = (Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in range(4))
AT = ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]


def pub(key: Ed25519PrivateKey) -> str:
    return publish(key.public_key())


def fp(key: Ed25519PrivateKey) -> str:
    return fingerprint(public_bytes(key.public_key()))


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


K0_K1 = announce(PARTY, K0, K1, AT[0])
K1_K2 = announce(PARTY, K1, K2, AT[1])


def test_an_announcement_verifies_with_the_old_public_key_and_nothing_of_accords():
    # The recipe of docs/federation.md, with only rfc8785 and cryptography.
    document = dict(K0_K1)
    signature, proof = unb64(document.pop("signature")), unb64(document.pop("proof"))
    signed = rfc8785.dumps(document)
    K0.public_key().verify(signature, signed)  # raises if not
    Ed25519PublicKey.from_public_bytes(unb64(document["public_key"])).verify(proof, signed)
    assert document["previous"] == fp(K0) and document["public_key"] == pub(K1)


def test_a_rotation_followed_from_the_pinned_key():
    [step] = chain(pub(K0), pub(K1), PARTY, [None, K0_K1])
    assert step.fingerprint == fp(K1) and step.created == AT[0]


def test_two_rotations_are_followed_in_order_whatever_order_they_are_published_in():
    path = chain(pub(K0), pub(K2), PARTY, [K1_K2, K0_K1])
    assert [s.fingerprint for s in path] == [fp(K1), fp(K2)]
    # A peer that had followed the first already takes only the second.
    assert [s.fingerprint for s in chain(pub(K1), pub(K2), PARTY, [K0_K1, K1_K2])] == [fp(K2)]


def test_the_same_key_needs_no_announcement():
    assert chain(pub(K1), pub(K1), PARTY, []) == []
    padded = pub(K1) + "="  # another spelling of the same key is not a change
    assert chain(pub(K1), padded, PARTY, []) == []


def test_a_key_nobody_announced_is_refused():
    with pytest.raises(KeyChangeRefused, match=f"no announcement signed by key {fp(K0)}"):
        chain(pub(K0), pub(THIEF), PARTY, [])


def test_a_forged_announcement_signed_by_another_key_is_refused():
    forged = announce(PARTY, THIEF, THIEF, AT[0]) | {"previous": fp(K0)}
    with pytest.raises(KeyChangeRefused, match="signature does not verify against the previous"):
        chain(pub(K0), pub(THIEF), PARTY, [forged])


def test_an_altered_announcement_is_refused():
    altered = K0_K1 | {"public_key": pub(THIEF)}
    with pytest.raises(KeyChangeRefused, match="altered or forged"):
        chain(pub(K0), pub(THIEF), PARTY, [altered])


def test_an_announcement_of_a_key_its_announcer_does_not_hold_is_refused():
    # Signed by the old key but not by the new one: e.g. another node's key, claimed.
    without_proof = K0_K1 | {"proof": announce(PARTY, K0, THIEF, AT[0])["proof"]}
    with pytest.raises(KeyChangeRefused, match="proof does not verify against the key it"):
        chain(pub(K0), pub(K1), PARTY, [without_proof])


def test_a_replayed_old_announcement_does_not_take_a_peer_back_to_an_old_key():
    # Pinned at K1 already: the announcement that led there leads nowhere from it.
    with pytest.raises(KeyChangeRefused, match=f"no announcement signed by key {fp(K1)}"):
        chain(pub(K1), pub(K0), PARTY, [K0_K1])


def test_another_partys_announcement_replayed_is_refused():
    theirs = announce(OTHER_PARTY, K0, K1, AT[0])
    with pytest.raises(KeyChangeRefused, match=f"a key of {OTHER_PARTY}, not of {PARTY}"):
        chain(pub(K0), pub(K1), PARTY, [theirs])


def test_two_successors_of_one_key_mean_it_is_in_two_hands():
    with pytest.raises(KeyChangeRefused, match="2 different successors"):
        chain(pub(K0), pub(K1), PARTY, [K0_K1, announce(PARTY, K0, THIEF, AT[1])])


def test_announcements_going_round_in_a_circle_are_refused():
    back = announce(PARTY, K1, K0, AT[1])
    with pytest.raises(KeyChangeRefused, match="circle"):
        chain(pub(K0), pub(K2), PARTY, [K0_K1, back])


def test_junk_beside_the_chain_is_ignored():
    junk = [{"type": "accord-key-announcement"}, "text", {**K0_K1, "created": "yesterday"}]
    assert len(chain(pub(K0), pub(K2), PARTY, [*junk, K0_K1, K1_K2])) == 2


def test_an_endless_key_history_is_refused_before_checking_it():
    with pytest.raises(KeyChangeRefused, match="more than the 1000"):
        chain(pub(K0), pub(K1), PARTY, [K0_K1] * (MAX_ANNOUNCEMENTS + 1))


@pytest.mark.parametrize(("change", "why"), [
    ({"type": "identity"}, "'type' is not"),
    ({"created": 5}, "'created' is missing or not a string"),
    ({"public_key": "not-a-key"}, "not an Ed25519 public key"),
])
def test_a_malformed_announcement_says_what_is_wrong(change, why):
    with pytest.raises(ValueError, match=why):
        parse(K0_K1 | change)


def test_an_announcement_without_canonical_form_is_invalid_not_a_crash():
    huge = parse(K0_K1 | {"extra": 2**60})
    assert "no canonical form" in why_not_valid(huge, K0.public_key(), PARTY)


OBJ = {"type": "indicator", "spec_version": "2.1",
       "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created_by_ref": PARTY,
       "created": "2026-01-15T00:00:00.000Z", "modified": "2026-01-15T00:00:00.000Z",
       "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
       "valid_from": "2026-01-15T00:00:00Z"}


def test_what_a_retired_key_signed_still_verifies_among_the_creators_keys():
    keys = [KnownKey.of(pub(K0)), KnownKey.of(pub(K1))]
    assert why_not_signed(sign(OBJ, K0), keys) is None
    assert why_not_signed(sign(OBJ, K1), keys) is None
    assert "not its creator's" in why_not_signed(sign(OBJ, THIEF), keys)


def test_a_revoked_key_counts_only_for_versions_dated_before_its_date():
    keys = [KnownKey.of(pub(K0), "2026-01-15T00:00:00Z"), KnownKey.of(pub(K1))]
    before = OBJ | {"modified": "2026-01-14T23:59:59.999Z"}
    assert why_not_signed(sign(before, K0), keys) is None
    # Exactly the date (in another precision) is not before it.
    refused = why_not_signed(sign(OBJ, K0), keys)
    assert refused is not None and "revoked from 2026-01-15T00:00:00Z" in refused
    assert why_not_signed(sign(OBJ, K1), keys) is None
    undated = {k: v for k, v in OBJ.items() if k not in ("created", "modified")}
    assert "revoked" in why_not_signed(sign(undated, K0), keys)


def test_key_fingerprint_of_a_published_key():
    assert key_fingerprint(pub(K2)) == fp(K2)
    with pytest.raises(ValueError):
        key_fingerprint("!!")


def test_a_new_peer_takes_the_keys_the_pinned_one_succeeded():
    found = predecessors(pub(K2), PARTY, [pub(K0), pub(K1), pub(K2)], [K0_K1, K1_K2])
    assert [(key, a.previous) for key, a in found] == [(pub(K1), fp(K1)), (pub(K0), fp(K0))]


def test_a_predecessor_the_newer_key_did_not_prove_is_not_taken():
    # The thief's key claims to precede K1: signed by the thief, but K1 never proved it.
    claimed = announce(PARTY, THIEF, K1, AT[0]) | {"proof": K0_K1["proof"]}
    assert predecessors(pub(K1), PARTY, [pub(THIEF), pub(K1)], [claimed]) == []
    # Nor one another party's, nor one whose key is not published.
    assert predecessors(pub(K1), OTHER_PARTY, [pub(K0), pub(K1)], [K0_K1]) == []
    assert predecessors(pub(K1), PARTY, [pub(K1)], [K0_K1]) == []


def test_two_claimed_predecessors_are_both_refused():
    rival = announce(PARTY, THIEF, K1, AT[0])
    assert predecessors(pub(K1), PARTY, [pub(K0), pub(THIEF), pub(K1)], [K0_K1, rival]) == []
