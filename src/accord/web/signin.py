"""Signing in with an API token, and out again.

The token is checked once, here; the browser then holds only a session secret (HttpOnly,
SameSite=Strict, Secure over HTTPS) and the node the secret's digest. The sign-in form has its
own anti-forgery cookie, so another site cannot sign a browser in under someone else's token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accord.node import Node
from accord.serving.authentication import authenticate
from accord.stix.timestamps import now_timestamp
from accord.store.sessions import LIFETIME, Sessions
from accord.trust.access import Principal
from accord.trust.audit import Event
from accord.trust.credentials import Credential
from accord.web.core import (
    COOKIE,
    SIGN_IN_COOKIE,
    Page,
    finish,
    language_of,
    problem,
    render,
    same_origin,
    words,
)
from accord.web.format import Clockface


def _safe_next(target: str | None) -> str:
    """Only a page of this UI: never an absolute URL (no open redirect)."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


def _why(request: Request, why: str) -> str:
    """Why the browser is asked to sign in again (web.kept sends it here with `why`)."""
    _ = words(language_of(request, None)).gettext
    if why == "kept":
        return _("Your session ended (signed out in another tab, or 12 hours passed); sign in "
                 "again. What you typed is kept and comes back once you have signed in.")
    if why == "ended":
        return _("Your session ended (signed out in another tab, or 12 hours passed); sign in "
                 "again to go on.")
    return ""


def _form(request: Request, node: Node, started: float, *, status: int = 200,
          error: str = "", next_page: str = "/ui/", why: str = "") -> Response:
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    title = words(language_of(request, None)).gettext("Sign in")
    response = render(request, Page("sign_in.html", {
        "error": error, "next": next_page, "csrf": nonce,
        "why": why if why in ("kept", "ended") else "", "why_text": _why(request, why),
    }, status, title), None, node, started)
    response.set_cookie(SIGN_IN_COOKIE, nonce, max_age=3600, path="/ui/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


def sign_in(node: Node) -> Any:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        if request.method == "GET":
            return _form(request, node, started,
                         next_page=_safe_next(request.query_params.get("next")),
                         why=request.query_params.get("why", ""))
        form = await request.form()
        _ = words(language_of(request, None)).gettext
        next_page = _safe_next(str(form.get("next") or ""))
        why = str(form.get("why") or "")
        nonce, given = request.cookies.get(SIGN_IN_COOKIE), form.get("csrf")
        if (not nonce or not isinstance(given, str) or not same_origin(request)
                or not hmac.compare_digest(nonce, given)):
            return _form(request, node, started, status=403, next_page=next_page, why=why,
                         error=_("The sign-in form had expired. Paste your token again."))
        token = str(form.get("token") or "").strip()
        found = await run_in_threadpool(
            authenticate, node, Credential("sign-in", token),
            source=request.client.host if request.client else None, via="ui",
            method=request.method, path=request.url.path)
        if not isinstance(found, Principal):
            if found.is_throttled:
                wait = Clockface.of("UTC", language_of(request, None)).duration(
                    timedelta(seconds=found.retry_after))
                refused = _form(request, node, started, status=429, next_page=next_page, why=why,
                                error=_("Too many failed sign-ins from your address. Try "
                                        "again in {wait}. (A valid token still signs in.)")
                                .format(wait=wait))
                refused.headers["Retry-After"] = str(found.retry_after)
                return refused
            return _form(request, node, started, status=401, next_page=next_page, why=why,
                         error=_("That token is not valid here: it is unknown to this "
                                 "node, has expired or was revoked. Ask your node's "
                                 "administrator for a token (accord token create)."))
        principal = found
        secret, _session = await run_in_threadpool(Sessions(node.engine).open,
                                                    principal.token_id)
        await run_in_threadpool(node.audit.append, [Event(
            now_timestamp(), "ui.sign-in", principal.party_id, principal.token_id)])
        response = RedirectResponse(next_page, status_code=303)
        response.set_cookie(COOKIE, secret, max_age=int(LIFETIME.total_seconds()), path="/ui/",
                            httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        response.delete_cookie(SIGN_IN_COOKIE, path="/ui/")
        return finish(response, started)

    return endpoint


def sign_out(node: Node) -> Any:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        secret = request.cookies.get(COOKIE)
        form = await request.form()
        _ = words(language_of(request, None)).gettext
        session = await run_in_threadpool(Sessions(node.engine).find, secret) if secret else None
        if session is not None and secret:
            given = form.get("csrf")
            # Only the page's own form signs out (no forced sign-out from another site), and
            # the session ends on the node, not only in this browser.
            if (not isinstance(given, str) or not same_origin(request)
                    or not hmac.compare_digest(given, session.csrf)):
                return render(request, problem(
                    403, _("This form has expired"), _("The sign-out did not come from this "
                    "page of Accord. Go back, reload the page and sign out again.")),
                    None, node, started)
            await run_in_threadpool(Sessions(node.engine).close, secret)
            # The officer's party, as at the sign-in (None: the trail read it as the node
            # operator's act); a token revoked meanwhile has no party to name.
            principal = await run_in_threadpool(node.directory.principal_by_token_id,
                                                session.token_id)
            await run_in_threadpool(node.audit.append, [Event(
                now_timestamp(), "ui.sign-out", principal.party_id if principal else None,
                session.token_id)])
        response = RedirectResponse("/ui/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path="/ui/")
        return finish(response, started)

    return endpoint
