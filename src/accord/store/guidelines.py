"""The versions of the guidelines a node has agreed, as stored rows (kept as their TOML text)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

from accord.cooperation.guidelines import Guidelines, parse_guidelines
from accord.stix.timestamps import parse_timestamp
from accord.store.engine import writing
from accord.store.schema import guidelines


class GuidelinesStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, text: str, effective: str, pair: tuple[str, str] | None = None) -> Guidelines:
        """Store a new version (checked first: a bad file changes nothing); returns it."""
        with writing(self.engine) as conn:
            version = (conn.execute(select(func.max(guidelines.c.version))).scalar() or 0) + 1
            parsed = parse_guidelines(text, version=version, effective=parse_timestamp(effective),
                                      pair=frozenset(pair) if pair else None)
            a, b = sorted(pair) if pair else (None, None)
            conn.execute(guidelines.insert().values(version=version, pair_a=a, pair_b=b,
                                                    effective=effective, text=text))
        return parsed

    def versions(self, conn: Connection | None = None) -> list[Guidelines]:
        """Every version, oldest first."""
        if conn is None:
            with self.engine.connect() as own:
                return self.versions(own)
        rows = conn.execute(select(guidelines).order_by(guidelines.c.version)).all()
        return [parse_guidelines(r.text, version=r.version,
                                 effective=parse_timestamp(r.effective),
                                 pair=frozenset((r.pair_a, r.pair_b)) if r.pair_a else None)
                for r in rows]
