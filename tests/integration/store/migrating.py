"""Bring a test database to a given migration, as `accord` would bring it to the newest."""

from sqlalchemy import Engine

from accord.store.engine import upgrade_in, writing


def upgrade(engine: Engine, revision: str) -> None:
    with writing(engine) as connection:
        upgrade_in(connection, revision)
