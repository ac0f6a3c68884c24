"""Migrating a test database to a given revision, to store rows the way an older node did."""

from alembic import command
from alembic.config import Config

from accord.store.engine import MIGRATIONS, writing


def upgrade(engine, revision):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
