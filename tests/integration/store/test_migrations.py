"""The schema is versioned: a new database is migrated to the newest revision, once."""

from alembic.config import Config
from alembic.script import ScriptDirectory

from accord.store.engine import MIGRATIONS, SCHEMA_REVISION, migrate, open_engine, schema_revision


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
