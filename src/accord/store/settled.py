"""How far the objects table is settled: the seq below which every writer has committed, so
that a cursor over seq (the screening of arrivals) never passes an object still being written
by another transaction, process or host."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from accord.store.engine import is_sqlite, take_turn, writing
from accord.store.schema import objects

WRITING = "objects"  # every writer of objects holds this turn shared (ObjectStore._lock)
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


def settled_seq(engine: Engine, patience: float = 2.0) -> int | None:
    """The highest seq such that every object with a lower one is committed (or never will
    be). On PostgreSQL a writer draws its seq before it commits, so a later writer's seq may
    commit first, and a reader taking the highest seq it sees as "everything up to here" would
    pass over the earlier one for good. So this waits, at most `patience` seconds (then None),
    for the writers under way to finish; writers that come meanwhile wait that long at most.
    SQLite has one writer at a time: its highest seq is settled."""
    newest = select(func.max(objects.c.seq))
    if is_sqlite(engine):
        with engine.connect() as conn:
            return int(conn.execute(newest).scalar() or 0)
    try:
        with writing(engine) as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(patience * 1000)}ms'")
            take_turn(conn, WRITING)
            return int(conn.execute(newest).scalar() or 0)
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return None
        raise
