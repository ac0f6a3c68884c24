"""How the REST API's listings page: `limit` items a page (200 by default, at most 1,000), and
a `Link` header (RFC 8288, rel="next") naming the next page while more follow, its cursor in
`after`. The requests, the claims and the designations are listed so."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from accord.api.problems import refused
from accord.stix.timestamps import is_timestamp, microsecond_key

LISTED, MOST_LISTED = 200, 1000  # items a page holds: by default, at most

Limit = Annotated[int, Query(ge=1, le=MOST_LISTED)]
After = Annotated[str | None, Query(description="The cursor of the next page, as the Link "
                                                "header of the page before gives it")]


def link_next(request: Request, response: Response, limit: int, following: str | None) -> None:
    """The Link header naming the next page, when one follows (`following`: its cursor)."""
    if following is not None:
        # A reference relative to the page asked (RFC 8288 §3, RFC 3986 §4.2): the Host a
        # client sent is never announced back, as TAXII discovery does not.
        url = request.url.include_query_params(limit=limit, after=following)
        response.headers["link"] = f'<{url.path}?{url.query}>; rel="next"'


def date_added_cursor(after: str | None) -> str | None:
    """A listing's `after` where pages end at an object's date_added (the claims, the
    designations), as the Link header gave it; anything else is the caller's mistake, said as
    such."""
    if after is None:
        return None
    if not is_timestamp(after):
        raise refused(400, "query.after", f"{after[:40]!r} is not a cursor this listing gave; "
                      "follow the Link header of the page before")
    return microsecond_key(after)
