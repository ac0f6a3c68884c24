"""The schema is versioned: a new database is migrated to the newest revision, once."""

import threading

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from accord.store.engine import (
    MIGRATIONS,
    SCHEMA_REVISION,
    SchemaTooNew,
    migrate,
    open_engine,
    schema_revision,
    writing,
)


def test_schema_revision_constant_is_the_newest_migration():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_new_database_is_migrated_to_the_newest_revision_and_again_is_a_no_op(db_url):
    engine = open_engine(db_url)
    try:
        assert schema_revision(engine) is None
        migrate(engine)
        assert schema_revision(engine) == SCHEMA_REVISION
        migrate(engine)
        assert schema_revision(engine) == SCHEMA_REVISION
    finally:
        engine.dispose()


def test_migrate_returns_the_revision_the_database_was_at(db_url):
    engine = open_engine(db_url)
    try:
        assert migrate(engine) is None  # it was empty
        assert migrate(engine) == SCHEMA_REVISION
    finally:
        engine.dispose()


def test_a_schema_migrated_by_a_newer_accord_is_refused_untouched(db_url):
    engine = open_engine(db_url)
    try:
        migrate(engine)
        with writing(engine) as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(SchemaTooNew, match="revision 9999"):
            migrate(engine)
        assert schema_revision(engine) == "9999"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_hosts_migrating_at_once_take_turns(pg_url):
    """Several `accord serve` hosts start together after an upgrade: one migrates, the others
    wait on the advisory lock and find the schema current (without it, their CREATE TABLEs
    collide)."""
    hosts = 4
    engines = [open_engine(pg_url) for _ in range(hosts)]
    start = threading.Barrier(hosts)
    results: list[str | None] = []
    errors: list[BaseException] = []

    def host(engine: Engine) -> None:
        start.wait()
        try:
            results.append(migrate(engine))
        except BaseException as error:  # collected, to fail the test with it
            errors.append(error)

    threads = [threading.Thread(target=host, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert results.count(None) == 1  # one host found it empty and migrated it
        assert results.count(SCHEMA_REVISION) == hosts - 1
        assert schema_revision(engines[0]) == SCHEMA_REVISION
    finally:
        for engine in engines:
            engine.dispose()
