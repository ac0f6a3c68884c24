"""A TAXII request on a collection reads its token's holder and that party's grant on the
collection in one statement: it must say exactly what the two reads it replaces say."""

from __future__ import annotations

from accord.trust.access import Grant


def test_the_one_statement_agrees_with_the_token_and_the_grant_read_apart(world):
    d = world.node.directory
    third = d.add_party("Russia (GOV-CERT.RU)")
    shared = d.create_collection("Shared", alias="shared", read=[world.other],
                                 write=[world.other])
    read_only = d.create_collection("Read only", read=[world.other], write=[])
    write_only = d.create_collection("Write only", alias="drop-box", read=[],
                                     write=[world.other])
    revoked = d.create_token(world.other, role="reader")
    d.revoke_token(d.principal(revoked).token_id)
    d.grant(read_only.id, third, Grant(can_read=False, can_write=False))  # a row, no right
    tokens = [world.admin_token, world.other_token, d.create_token(third, role="analyst"),
              d.create_token(world.other, expires="2001-01-01T00:00:00.000000Z"), revoked,
              "accord_unknown", ""]
    keys = [shared.id, "shared", read_only.id, write_only.id, "drop-box", world.evidence.id,
            "evidence", "no-such-collection", "00000000-0000-4000-8000-000000000000"]
    usable = 0
    for token in tokens:
        holder = d.principal(token)
        for key in keys:
            apart = (holder, None if holder is None else d.collection_for(holder.party_id, key))
            assert d.principal_and_collection(token, key) == apart, (token, key)
            usable += apart[1] is not None
    # The admin: evidence, by id and by alias; the other party: shared (×2), read only, write
    # only (×2); nothing for the third party, the expired, revoked or unknown tokens.
    assert usable == 7
