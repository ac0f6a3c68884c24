"""What a write is told of the objects it brought: those that may be stored, and those refused,
each with its reasons (bounded). Every write path sorts its candidates so (accord.intake, a
peer's page at sync, the validator process) before anything is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accord.stix.violations import Violation
from accord.store.objects import version_of
from accord.words import how_many

_SHOWN = 20  # violations named per refused object


@dataclass(frozen=True, slots=True)
class Rejection:
    id: str | None
    version: str | None
    violations: list[Violation]
    # Where the object was among those screened together (an envelope, a batch of a file),
    # from 0; None where that is not known (refused when stored, by id).
    position: int | None = None
    held: bool = False  # store.query.Outcome.held

    @property
    def message(self) -> str:
        # Bounded: an object with thousands of bad properties must not make a huge status.
        shown = "; ".join(f"{v.message} [{v.rule}]" for v in self.violations[:_SHOWN])
        more = len(self.violations) - _SHOWN
        return shown + (f"; and {how_many(more, 'more problem')}" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class Screened:
    """Candidates split by validation: what may be stored, and what was refused and why."""

    valid: list[dict[str, Any]]
    rejected: list[Rejection]


def refusing(screened: Screened, why_not: Callable[[dict[str, Any]], Violation | None]
             ) -> Screened:
    """`screened` with the valid objects `why_not` has a reason against moved to the refused."""
    reasons = [why_not(o) for o in screened.valid]
    if not any(reasons):
        return screened
    return Screened([o for o, why in zip(screened.valid, reasons, strict=True) if why is None],
                    screened.rejected + [Rejection(o["id"], version_of(o), [why])
                                         for o, why in zip(screened.valid, reasons, strict=True)
                                         if why is not None])
