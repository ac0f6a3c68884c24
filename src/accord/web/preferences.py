"""What a reader chooses for themselves: the language of the UI (kept with the person, and in a
cookie for the sign-in page, before anyone is signed in)."""

from __future__ import annotations

import hmac
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accord.i18n.languages import known
from accord.node import Node
from accord.store.sessions import Sessions
from accord.web.core import COOKIE, LANGUAGE_COOKIE, finish, same_origin

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
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, path="/ui/",
                            samesite="strict", secure=request.url.scheme == "https")
        return finish(response, started)

    return endpoint
