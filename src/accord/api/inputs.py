"""What every body the REST API takes has in common: a field it does not know is refused
(422, naming it), not ignored. `"alias": [...]` for `aliases`, or `"programe"`, created a
designation without them and said nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict

from accord.api.problems import Unusable


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _written(value: Any) -> Any:
    """A time as JSON writes one, a string: a number would be read as seconds since 1970
    (`-1` as 1969-12-31T23:59:59Z), which no client means."""
    if not isinstance(value, str | datetime):
        raise ValueError("give a date and time as a string, such as 2015-06-04T10:00:00Z")
    return value


# A moment a body or a query names, as a string (its zone read by `in_utc`).
Instant = Annotated[datetime, BeforeValidator(_written)]


def in_utc(moment: datetime | None, *where: str) -> datetime | None:
    """`moment` in UTC; a 400 naming `where` when that lies beyond the calendar
    (0001-01-01T00:00:00+01:00 is in the year 0 in UTC). A 400, not pydantic's 422: the
    value is one the published schema allows."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise Unusable([{"loc": where, "type": "calendar",
                         "msg": "lies beyond the calendar once read in UTC"}]) from None
def _number(value: Any) -> Any:
    """A JSON number: not `true` (the rating 1) nor "5". 3.0 is one, as JSON Schema reads an
    integer."""
    if isinstance(value, bool | str):
        raise ValueError("give a number, not " + ("true or false" if isinstance(value, bool)
                                                  else "a string"))
    return value


# A number or a yes/no as JSON writes it: `true` is not the rating 1, nor "yes" true.
StrictInt = Annotated[int, BeforeValidator(_number)]
StrictBool = Annotated[bool, Strict()]
