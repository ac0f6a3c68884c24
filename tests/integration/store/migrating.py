"""Bring a test database to a given migration, as `accord` would bring it to the newest."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from accord.store.engine import MIGRATIONS, writing


def upgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
