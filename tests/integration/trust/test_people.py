"""Every token belongs to a person or machine account of one party; the audit trail says who."""

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from accord.store.audit_log import AuditQuery
from accord.store.directory import DirectoryError
from accord.store.engine import MIGRATIONS, open_engine, writing
from accord.store.schema import people, tokens
from accord.trust.audit import Event


def test_a_token_belongs_to_the_named_person_who_is_registered_on_first_use(world):
    directory = world.node.directory
    first = directory.create_token(world.other, role="analyst", name="Li Wei")
    second = directory.create_token(world.other, role="reader", name="Li Wei")
    [li] = [p for p in directory.people(world.other) if p.name == "Li Wei"]
    assert li.kind == "person" and li.party_id == world.other.id
    one, two = directory.principal(first), directory.principal(second)
    assert one.person_id == two.person_id == li.id
    assert one.person_name == "Li Wei" and one.party_id == world.other.id
    assert sorted(directory.token_ids_of(li)) == sorted([one.token_id, two.token_id])


def test_an_unnamed_token_belongs_to_the_partys_machine_account(world):
    token = world.node.directory.create_token(world.other, role="analyst")
    holder = world.node.directory.principal(token)
    assert holder.person_name == "automation"
    assert world.node.directory.person(world.other, "automation").is_machine


def test_the_same_name_in_two_parties_is_two_people(world):
    directory = world.node.directory
    a = directory.principal(directory.create_token(world.own, name="Sam"))
    b = directory.principal(directory.create_token(world.other, name="Sam"))
    assert a.person_id != b.person_id


def test_people_are_unique_within_a_party_and_need_a_name(world):
    directory = world.node.directory
    directory.add_person(world.other, "Zhang Min")
    with pytest.raises(DirectoryError, match="already has someone named 'Zhang Min'"):
        directory.add_person(world.other, "Zhang Min")
    with pytest.raises(DirectoryError, match="needs a name"):
        directory.add_person(world.other, "  ")
    with pytest.raises(DirectoryError, match="has nobody named 'Nobody'"):
        directory.person(world.other, "Nobody")


def test_a_person_cannot_be_given_a_machine_token(world):
    directory = world.node.directory
    directory.add_person(world.other, "Zhang Min")
    with pytest.raises(DirectoryError, match="is a person, not a machine account"):
        directory.create_token(world.other, name="Zhang Min", machine=True)


def test_the_audit_trail_is_queried_by_person(world):
    directory = world.node.directory
    li = directory.principal(directory.create_token(world.other, name="Li Wei"))
    bot = directory.principal(directory.create_token(world.other))
    for who in (li, bot, li):
        world.node.audit.append([Event("2026-01-01T00:00:00.000Z", "objects.read", who.party_id,
                                       who.token_id)])
    person = directory.person(world.other, "Li Wei")
    found = world.node.audit.query(AuditQuery(person_id=person.id))
    assert len(found) == 2 and {r.event.token_id for r in found} == {li.token_id}


def test_tokens_made_before_people_existed_are_given_their_holders(db_url):
    engine = open_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def upgrade(revision):
        with writing(engine) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    try:
        upgrade("0005")
        with writing(engine) as conn:
            conn.exec_driver_sql(
                "INSERT INTO parties (id, name, created, is_self, identity) VALUES "
                "('identity--p', 'P', '2020-01-01T00:00:00Z', false, '{}')")
            for n, name in enumerate(("Ana", "Ana", "")):
                conn.exec_driver_sql(
                    "INSERT INTO tokens (id, party_id, digest, name, role, created) VALUES "
                    f"('t{n}', 'identity--p', 'd{n}', '{name}', 'analyst', "
                    "'2020-01-01T00:00:00Z')")
        upgrade("head")
        with engine.connect() as conn:
            holders = dict(conn.execute(select(tokens.c.id, tokens.c.person_id)).all())
            found = {r.id: (r.name, r.kind) for r in conn.execute(select(people))}
        assert holders["t0"] == holders["t1"] != holders["t2"]
        assert found[holders["t0"]] == ("Ana", "person")
        assert found[holders["t2"]] == ("automation", "machine")
    finally:
        engine.dispose()


def test_who_added_an_object_is_the_first_person_whose_token_added_it(world):
    """The request page's "by PARTY (PERSON)": the first add by a person's token, however
    often the object was read since; an object only a machine account or sync added has
    none."""
    from accord.store.audit_log import FIRST_RECORDS

    directory, audit = world.node.directory, world.node.audit
    li = directory.principal(directory.create_token(world.other, name="Li Wei"))
    jo = directory.principal(directory.create_token(world.other, name="Jo Smith"))
    bot = directory.principal(directory.create_token(world.other))

    def did(action: str, who, *object_ids: str) -> None:  # type: ignore[no-untyped-def]
        audit.append([Event("2026-01-01T00:00:00.000Z", action, who.party_id, who.token_id,
                            "c", object_ids)])

    did("objects.add", li, "x-accord-ack--1", "x-accord-note--2")
    did("objects.add", bot, "x-accord-response--3")
    for _ in range(FIRST_RECORDS * 3):  # a party reading the entries again and again
        did("objects.read", bot, "x-accord-ack--1", "x-accord-response--3")
    did("objects.add", jo, "x-accord-ack--1")  # a later add changes nothing
    did("objects.add", jo, "x-accord-response--3")  # past its earliest records: not looked at
    audit.index_new()  # (the bound is the index's: records not indexed yet are read whole)
    assert audit.people_who_added(["x-accord-ack--1", "x-accord-note--2", "x-accord-response--3",
                                   "x-accord-ack--1", "indicator--never"]) == {
        "x-accord-ack--1": (world.other.id, "Li Wei"),
        "x-accord-note--2": (world.other.id, "Li Wei")}
    assert audit.people_who_added([]) == {}
