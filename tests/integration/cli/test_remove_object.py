"""`accord collection remove-object`: the operator's remedy for a party that put an object in
a shared collection under an id that is not its own (ATT&CK's, taken first), so that the
real object is refused on import, or stays under a copy dated ahead of it. Every party's
versions go, recorded with the reason; a request's ledger and the attribution record stay."""

from __future__ import annotations

import orjson
import pytest
from tests.integration.cooperation.test_desk import EVIDENCE, T0, Clock, draft
from tests.opm import APT19, OPM, opm_objects
from typer.testing import CliRunner

from accord.cli import app
from accord.cooperation.desk import Actor, Desk
from accord.intake import Screened, store
from accord.store.audit_log import AuditQuery
from accord.store.query import ALL, LAST, ObjectQuery
from accord.trust.access import Grant

MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"  # not a party of the node
REAL = {
    "type": "attack-pattern", "spec_version": "2.1",
    "id": "attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298",
    "created": "2020-01-14T17:18:32.126Z", "modified": "2025-10-24T17:48:19.059Z",
    "created_by_ref": MITRE, "name": "Extra Window Memory Injection",
    "description": "Adversaries may inject malicious code into process via Extra Window "
                   "Memory (EWM).",
}
TAXII = "application/taxii+json;version=2.1"
API = "/api/v1"


def accord(db_url: str, *args: str):
    return CliRunner().invoke(app, [*args, "--db", db_url], catch_exceptions=False)


def post_as(client, token: str, collection: str, obj: dict) -> None:
    done = client.post(f"/taxii2/accord/collections/{collection}/objects/",
                       content=orjson.dumps({"objects": [obj]}),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": TAXII})
    assert done.status_code == 202 and done.json()["success_count"] == 1, done.text


def held(world, versions: str = ALL) -> list[bytes]:
    """The bodies of the versions of REAL's id in the evidence collection (all, or the one
    readers get: "last")."""
    return [v.body for v in world.node.objects.page(
        world.evidence.id, ObjectQuery(versions=frozenset({versions})), REAL["id"]).items]


@pytest.fixture
def squatter(world):
    world.node.directory.grant(world.evidence.id, world.other, Grant(True, True))
    return world.other_token


@pytest.fixture
def bundle(tmp_path):
    path = tmp_path / "attack.json"
    path.write_bytes(orjson.dumps({"type": "bundle", "id": "bundle--0e1f7a58-0000-4000-8000-"
                                   "000000000001", "objects": [REAL]}))
    return str(path)


@pytest.mark.parametrize("copy", [
    # under its own name: the real object is refused, the creator rule holding the id
    {"created_by_ref": "SQUATTER", "description": "Harmless; ignore."},
    # under no name, dated ahead: the real one goes in beneath it, and readers get the copy
    {"modified": "2099-01-01T00:00:00.000Z", "description": "Harmless; ignore."},
])
def test_an_id_taken_first_is_said_on_import_and_the_operator_removes_it(
        world, client, db_url, squatter, bundle, copy):
    fake = {k: v for k, v in REAL.items() if k != "created_by_ref"} | copy
    if fake.get("created_by_ref") == "SQUATTER":
        fake["created_by_ref"] = world.other.id
    post_as(client, squatter, "evidence", fake)
    imported = accord(db_url, "import", bundle, "--collection", "evidence")
    said = " ".join(imported.stderr.split())
    assert REAL["id"] in said and "accord collection remove-object evidence " \
        f"{REAL['id']} --reason" in said, said
    assert [orjson.loads(b)["description"] for b in held(world, LAST)] == ["Harmless; ignore."]

    removed = accord(db_url, "collection", "remove-object", "evidence", REAL["id"],
                     "--reason", "a copy under ATT&CK's id", "--posted-by", "China (CNCERT/CC)")
    assert removed.exit_code == 0, removed.stderr
    said = " ".join(removed.stderr.split())
    assert "Removed 1 version of" in said and "posted by China (CNCERT/CC)." in said, said
    # the real object, where the import put it beneath the copy, stays
    assert len(held(world)) == ("modified" in copy)
    world.node.reads.flush()
    record = world.node.audit.query(AuditQuery(action="objects.remove", limit=1))[0]
    assert record.event.object_ids == (REAL["id"],) and record.event.party_id is None
    assert record.event.detail["reason"] == "a copy under ATT&CK's id"
    assert record.event.detail["posters"] == [world.other.id]

    again = accord(db_url, "import", bundle, "--collection", "evidence")
    assert again.exit_code == 0 and "remove-object" not in again.stderr, again.stderr
    assert [orjson.loads(b)["description"] for b in held(world)] == [REAL["description"]]
    # and the party may not put it back in its own name
    refused = client.post("/taxii2/accord/collections/evidence/objects/",
                          content=orjson.dumps({"objects": [fake]}),
                          headers={"Authorization": f"Bearer {squatter}", "Content-Type": TAXII})
    assert refused.json()["success_count"] == 0


def test_a_real_objects_import_says_nothing_of_removal(world, db_url, bundle):
    imported = accord(db_url, "import", bundle, "--collection", "evidence")
    assert imported.exit_code == 0 and "remove-object" not in imported.stderr


def test_without_posted_by_every_version_goes(world, client, db_url, squatter, bundle):
    post_as(client, squatter, "evidence", {k: v for k, v in REAL.items()
                                           if k != "created_by_ref"} | {
        "modified": "2099-01-01T00:00:00.000Z", "description": "Harmless; ignore."})
    accord(db_url, "import", bundle, "--collection", "evidence")
    assert len(held(world)) == 2
    removed = accord(db_url, "collection", "remove-object", "evidence", REAL["id"],
                     "--reason", "start again")
    said = " ".join(removed.stderr.split())
    assert removed.exit_code == 0 and "Removed 2 versions" in said, said
    assert "China (CNCERT/CC)" in said and "United States (US-CERT)" in said
    assert held(world) == []
    nobody = accord(db_url, "collection", "remove-object", "evidence", REAL["id"],
                    "--reason", "again", "--posted-by", "China (CNCERT/CC)")
    assert nobody.exit_code == 2 and "posted by China (CNCERT/CC)" in nobody.stderr


def test_removal_needs_a_reason_and_an_object_that_is_there(world, db_url):
    blank = accord(db_url, "collection", "remove-object", "evidence", REAL["id"],
                   "--reason", "  ")
    assert blank.exit_code == 2 and "--reason" in blank.stderr
    missing = accord(db_url, "collection", "remove-object", "evidence", REAL["id"],
                     "--reason", "clean-up")
    assert missing.exit_code == 2 and "nothing was removed" in missing.stderr
    unknown = accord(db_url, "collection", "remove-object", "no-such", REAL["id"],
                     "--reason", "clean-up")
    assert unknown.exit_code == 2 and "Traceback" not in unknown.stderr


def _collection_of(world, object_id: str) -> str:
    return next(c.id for c in world.node.directory.all_collections()
                if world.node.objects.exists(c.id, object_id))


def test_the_ledger_and_the_attribution_record_stay_whole(world, client, db_url):
    store(world.node.engine, world.evidence, Screened([*opm_objects(), EVIDENCE], []),
          party_id=world.own.id, operator=True)
    view = Desk(world.node, Clock(T0)).create(Actor(world.own), draft(world, EVIDENCE["id"]))
    claim = client.post(f"{API}/claims", json={
        "subject": OPM, "attributed_to": [APT19], "sponsor": "CN",
        "basis": ["technical-forensics"], "confidence": 80, "summary": "APT19 did it."})
    assert claim.status_code == 201, claim.text
    for object_id, words in ((view.request.id, "ledger"),
                             (claim.json()["id"], "attribution record")):
        where = _collection_of(world, object_id)
        refused = accord(db_url, "collection", "remove-object", where, object_id,
                         "--reason", "tidying")
        assert refused.exit_code == 2 and words in refused.stderr, refused.stderr
        assert world.node.objects.exists(where, object_id)
