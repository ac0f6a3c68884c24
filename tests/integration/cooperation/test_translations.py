"""Translations on a real store and over REST: either participant adds one to what it may read;
the original stays authoritative; a party versions only its own; guidelines may require
languages; markings follow the translated object."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select

from accord.cooperation.desk import Actor, CooperationError, Desk, Draft, NoSuchRequest
from accord.cooperation.translating import LanguagesMissing, Translations
from accord.federation.signing import signature_of
from accord.store.guidelines import GuidelinesStore
from accord.store.schema import objects

API = "/api/v1"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def no_evidence_required(world):
    GuidelinesStore(world.node.engine).add('[required]\ninformation = []\n',
                                           "2000-01-01T00:00:00.000000Z")


@pytest.fixture
def desk(world):
    return Desk(world.node)


@pytest.fixture
def sent(world, desk):
    return desk.create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", "Phishing from a fake ministry",
        description="Mails since Monday")).request


def bodies(world, oid):
    with world.node.engine.connect() as conn:
        return [orjson.loads(b) for b in conn.execute(
            select(objects.c.body).where(objects.c.id == oid).order_by(objects.c.seq)).scalars()]


def test_the_addressee_translates_the_request_and_both_see_it_beside_the_original(
        world, desk, sent):
    translations = Translations(desk)
    cn = Actor(world.other, lang="zh-Hans")
    made = translations.add(cn, sent.id, sent.id, "zh-Hans",
                            {"summary": "来自假冒部委的网络钓鱼", "description": "自周一起的邮件"})
    for actor in (Actor(world.own), cn):
        originals, shown = translations.shown(actor, desk.view(actor, sent.id))
        assert originals[sent.id].lang == "en"
        [rendition] = shown[sent.id]
        assert rendition.translator == world.other.id and rendition.lang == "zh-Hans"
        assert rendition.texts["summary"] == "来自假冒部委的网络钓鱼"
    [stored] = bodies(world, made.id)
    request_body = bodies(world, sent.id)[0]
    assert stored["object_marking_refs"] == request_body["object_marking_refs"]
    assert stored["object_modified"] == request_body["modified"]
    assert signature_of(stored) is not None  # signed for its translator's node


def test_a_second_translation_by_the_same_party_is_a_new_version_and_the_first_is_kept(
        world, desk, sent):
    translations = Translations(desk)
    cn = Actor(world.other)
    first = translations.add(cn, sent.id, sent.id, "zh-Hans", {"summary": "钓鱼"})
    second = translations.add(cn, sent.id, sent.id, "zh-Hans", {"summary": "网络钓鱼"})
    assert second.id == first.id
    assert [b["contents"]["zh-Hans"]["summary"] for b in bodies(world, first.id)] == [
        "钓鱼", "网络钓鱼"]
    [shown] = translations.shown(cn, desk.view(cn, sent.id))[1][sent.id]
    assert shown.version == 2 and shown.texts["summary"] == "网络钓鱼"


def test_a_party_cannot_alter_anothers_translation(client, world, desk, sent):
    translations = Translations(desk)
    theirs = translations.add(Actor(world.other), sent.id, sent.id, "zh-Hans",
                              {"summary": "钓鱼"})
    mine = translations.add(Actor(world.own), sent.id, sent.id, "zh-Hans",
                            {"summary": "网络钓鱼"})
    assert mine.id != theirs.id  # its own translation, beside theirs, never over it
    forged = bodies(world, theirs.id)[0] | {"modified": "2030-01-01T00:00:00.000Z",
                                            "contents": {"zh-Hans": {"summary": "改"}}}
    forged.pop("signatures", None)
    posted = client.post(f"/taxii2/accord/collections/{desk.collection().id}/objects/",
                         content=orjson.dumps({"objects": [forged]}),
                         headers={"Content-Type": "application/taxii+json;version=2.1"})
    assert posted.status_code == 202, posted.text
    assert posted.json()["success_count"] == 0
    assert len(bodies(world, theirs.id)) == 1


def test_what_cannot_be_translated_is_refused_in_words(world, desk, sent):
    translations = Translations(desk)
    cn = Actor(world.other)
    with pytest.raises(CooperationError, match="written in en"):
        translations.add(cn, sent.id, sent.id, "en", {"summary": "x"})
    with pytest.raises(CooperationError, match="holds no object"):
        translations.add(cn, sent.id, "x-accord-status-report--00000000-0000-4000-8000-"
                         "000000000009", "zh-Hans", {"text": "x"})
    outsider = world.node.directory.add_party("Japan (JPCERT/CC)")
    with pytest.raises(NoSuchRequest):
        translations.add(Actor(outsider), sent.id, sent.id, "ja", {"summary": "x"})


def test_each_act_records_its_authors_language(world, desk, sent):
    view = desk.report(Actor(world.other, lang="zh-Hans"), sent.id, "正在调查")
    report = next(e for e in view.entries if type(e).__name__ == "StatusReport")
    assert report.lang == "zh-Hans"
    assert bodies(world, report.id)[0]["lang"] == "zh-Hans"
    with pytest.raises(CooperationError, match="RFC 5646"):
        desk.report(Actor(world.other, lang="chinese please"), sent.id, "x")


def test_guidelines_requiring_a_language_refuse_a_request_without_it(world, desk):
    GuidelinesStore(world.node.engine).add(
        '[required]\ninformation = []\n[languages]\nrequired = ["en", "zh-Hans"]\n',
        "2000-01-02T00:00:00.000000Z")
    draft = Draft(world.other.name, "information", "intrusion", "urgent", "Phishing",
                  description="Mails")
    with pytest.raises(LanguagesMissing, match="require this request in zh-Hans") as refused:
        desk.create(Actor(world.own), draft)
    assert refused.value.missing == ("zh-Hans",)
    made = desk.create(Actor(world.own), Draft(
        world.other.name, "information", "intrusion", "urgent", "Phishing",
        description="Mails", translations={"zh-Hans": {"summary": "钓鱼", "description": "邮件"}}))
    shown = Translations(desk).shown(Actor(world.other), desk.view(Actor(world.other),
                                                                   made.request.id))[1]
    assert shown[made.request.id][0].lang == "zh-Hans"


def test_translations_over_rest(client, world, sent):
    as_cn = bearer(world.other_token)
    added = client.post(f"{API}/requests/{sent.id}/translations", headers=as_cn,
                        json={"lang": "zh-Hans", "texts": {"summary": "钓鱼"}})
    assert added.status_code == 201, added.text
    [item] = added.json()["translations"]
    assert item["original"] == {"lang": "en", "authoritative": True, "texts": {
        "summary": sent.summary, "description": sent.description}}
    assert item["translations"][0]["by"]["name"] == world.other.name
    seen = client.get(f"{API}/requests/{sent.id}/translations")
    assert seen.status_code == 200 and seen.json() == added.json()["translations"]
    bad = client.post(f"{API}/requests/{sent.id}/translations", headers=as_cn,
                      json={"lang": "zh-Hans", "texts": {"kind": "x"}})
    assert bad.status_code == 400 and "not a property a translation may hold" in bad.json()["title"]
    unknown = client.post(f"{API}/requests/x-accord-request--00000000-0000-4000-8000-"
                          "000000000000/translations", headers=as_cn,
                          json={"lang": "zh-Hans", "texts": {"summary": "x"}})
    assert unknown.status_code == 404


def test_a_request_sent_over_rest_records_its_language(client, world):
    made = client.post(f"{API}/requests", json={
        "to": world.other.name, "kind": "information", "category": "intrusion",
        "urgency": "priority", "summary": "谁注册了这个域名？", "lang": "zh-Hans",
        "translations": {"en": {"summary": "Who registered the domain?"}}})
    assert made.status_code == 201, made.text
    assert made.json()["lang"] == "zh-Hans"


def test_unsaid_an_author_writes_in_the_language_they_chose_for_the_ui(client, world):
    token = world.node.directory.create_token(world.other, role="liaison", name="Officer Wang")

    def send(summary):
        made = client.post(f"{API}/requests", headers=bearer(token), json={
            "to": world.own.name, "kind": "information", "category": "intrusion",
            "urgency": "priority", "summary": summary})
        assert made.status_code == 201, made.text
        return made.json()["lang"]

    assert send("Who registered the domain?") == "en"
    officer = world.node.directory.principal(token)
    world.node.directory.set_preferences(officer.person_id, locale="zh-Hans")
    assert send("谁注册了这个域名？") == "zh-Hans"


def test_an_act_over_rest_records_the_language_given(client, world, sent):
    done = client.post(f"{API}/requests/{sent.id}/status-reports",
                       headers=bearer(world.other_token),
                       json={"text": "正在调查", "lang": "zh-Hans"})
    assert done.status_code == 200, done.text
    bad = client.post(f"{API}/requests/{sent.id}/status-reports",
                      headers=bearer(world.other_token), json={"text": "x", "lang": "??"})
    assert bad.status_code == 400 and "RFC 5646" in bad.json()["title"]


def test_translations_of_a_request_are_bounded_per_party(world, desk, sent, monkeypatch):
    """One party's flood of translations (each dated as it likes) neither crowds out nor
    blocks another's: each party may make the most, and the first of each are shown."""
    import accord.cooperation.translating as translating

    monkeypatch.setattr(translating, "MAX_PER_REQUEST", 2)
    translations = Translations(desk)
    mine = translations.add(Actor(world.own), sent.id, sent.id, "fr", {"summary": "un"})
    translations.add(Actor(world.other), sent.id, sent.id, "zh-Hans", {"summary": "一"})
    translations.add(Actor(world.other), sent.id, sent.id, "zh-Hans", {"summary": "二"})
    with pytest.raises(CooperationError, match=r"2 translations of yours, the most a party "
                                               r"may make in one request \(2\)"):
        translations.add(Actor(world.other), sent.id, sent.id, "zh-Hans", {"summary": "三"})
    translations.add(Actor(world.own), sent.id, sent.id, "fr", {"summary": "deux"})
    held = translations.ledgered(Actor(world.own), sent.id).translations
    assert mine.id in {t.id for t in held}
    assert sorted(t.translator == world.own.id for t in held) == [False, False, True, True]


def test_translations_count_towards_what_a_party_writes_into_a_request(world, desk, sent,
                                                                      monkeypatch):
    from accord.store import ledger_bound

    monkeypatch.setattr(ledger_bound, "MOST_BYTES", 3_000)
    translations = Translations(desk)
    translations.add(Actor(world.other), sent.id, sent.id, "zh-Hans", {"summary": "钓鱼"})
    with pytest.raises(CooperationError) as refused:
        translations.add(Actor(world.other), sent.id, sent.id, "zh-Hans",
                         {"summary": "钓鱼", "description": "长" * 800})
    assert str(refused.value).startswith(f"what {world.other.name} has written into this request")
    assert len(translations.ledgered(Actor(world.other), sent.id).translations) == 1


def test_a_translation_looser_than_the_ledger_is_refused_on_intake(client, world, desk, sent):
    made = Translations(desk).add(Actor(world.other), sent.id, sent.id, "zh-Hans",
                                  {"summary": "钓鱼"})
    loose = bodies(world, made.id)[0]
    loose.pop("signatures", None)
    loose |= {"id": "language-content--00000000-0000-4000-8000-0000000000aa",
              "created_by_ref": world.own.id,
              "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}
    posted = client.post(f"/taxii2/accord/collections/{desk.collection().id}/objects/",
                         content=orjson.dumps({"objects": [loose]}),
                         headers={"Content-Type": "application/taxii+json;version=2.1"})
    assert posted.json()["success_count"] == 0
    assert "TLP:AMBER+STRICT or TLP:RED" in posted.text
