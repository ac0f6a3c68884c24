"""Bring a test database to a given migration, as `accord` would bring it to the newest."""

from sqlalchemy import Engine

from accord.store.engine import upgrade_in, writing


def upgrade(engine: Engine, revision: str) -> None:
    with writing(engine) as connection:
        upgrade_in(connection, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from accord.store.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
