"""What a reader chooses for themselves: the language of the UI (kept with the person, and in a
cookie for the sign-in page, before anyone is signed in) and the time zone times are shown in
(kept with the person; until chosen, the zone the browser reports)."""

from __future__ import annotations

import hmac
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accord import clock
from accord.i18n.languages import known
from accord.i18n.zones import PLACES, is_zone, place, zone, zone_names
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.store.sessions import Sessions
from accord.trust.audit import Event
from accord.web.core import (
    COOKIE,
    LANGUAGE_COOKIE,
    ZONE_COOKIE,
    Ctx,
    Forbidden,
    Page,
    finish,
    same_origin,
)

YEAR = 365 * 86_400


def _safe_next(target: str) -> str:
    """Only a page of this UI: never an absolute URL (no open redirect)."""
    if target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


def choose_language(node: Node) -> Any:
    """POST /ui/language: lang=<tag>, next=<page>. A signed-in person's choice is kept with the
    person (their page's anti-forgery token required); before sign-in only the cookie is set,
    which changes nothing but the words of this browser's sign-in page."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        form = await request.form()
        language = known(str(form.get("lang") or ""))
        target = _safe_next(str(form.get("next") or ""))
        response = RedirectResponse(target, status_code=303)
        if language is None or not same_origin(request):
            return finish(response, started)
        secret = request.cookies.get(COOKIE)
        session = await run_in_threadpool(Sessions(node.engine).find, secret) if secret else None
        if session is not None:
            given = form.get("csrf")
            if not isinstance(given, str) or not hmac.compare_digest(given, session.csrf):
                return finish(response, started)
            principal = await run_in_threadpool(node.directory.principal_by_token_id,
                                                session.token_id)
            if principal is not None and principal.person_id:
                await run_in_threadpool(node.directory.set_preferences, principal.person_id,
                                        locale=language)
                await run_in_threadpool(node.audit.append, [Event(
                    now_timestamp(), "person.preferences", principal.party_id,
                    principal.token_id, detail={"via": "ui", "locale": language})])
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, path="/ui/",
                            samesite="strict", secure=request.url.scheme == "https")
        return finish(response, started)

    return endpoint


def preferences_page(ctx: Ctx) -> Page | Response:
    """GET and POST /ui/preferences: the time zone times are shown in. An empty choice forgets
    it (the browser's zone is used again); a name that is not an IANA zone is refused, saying
    what one looks like."""
    error = ""
    chosen = ctx.viewer.principal.time_zone
    if ctx.form is not None:
        if not ctx.viewer.principal.person_id:
            raise Forbidden(ctx._("This token belongs to no person: there is nobody to keep a "
                                  "time zone for."))
        chosen = ctx.field("common") or ctx.field("time_zone")
        if chosen and not is_zone(chosen):
            error = ctx._("“{name}” is not a time zone: give an IANA name such as "
                          "Asia/Shanghai, America/New_York or UTC.", name=chosen[:80])
        else:
            ctx.node.directory.set_preferences(ctx.viewer.principal.person_id,
                                               time_zone=chosen)
            ctx.node.audit.append([Event(now_timestamp(), "person.preferences",
                                         ctx.viewer.party_id, ctx.viewer.principal.token_id,
                                         detail={"via": "ui", "time_zone": chosen})])
            return RedirectResponse("/ui/preferences?saved=1", status_code=303)
    now = clock.now()
    guessed = ctx.request.cookies.get(ZONE_COOKIE, "")
    # West to east, as on a map: an order any reader follows (by name, Chinese place names
    # came in the order of their characters' codes, which reads as no order at all).
    common = sorted(PLACES, key=lambda name: (now.astimezone(zone(name)).utcoffset(), name))
    return Page("preferences.html", {
        "chosen": chosen, "error": error, "saved": bool(ctx.arg("saved")) and not error,
        "guessed": guessed if is_zone(guessed) else "",
        "common": [(name, place(name, ctx.language, now)) for name in common],
        "zones": sorted(zone_names()),
    }, 400 if error else 200, ctx._("Preferences"))
