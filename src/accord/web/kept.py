"""What was typed survives the end of a session: a form sent when the session had ended (signed
out in another tab, 12 hours passed) is kept, sealed, while its sender signs in again, and
filled back into the page it came from.

The browser holds the only secret that opens it (an HttpOnly cookie, this UI's pages only,
for an hour); the node keeps what it cannot read without it (store.forms.KeptForms).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.store.forms import KEEP_LIFETIME, KeptForm, KeptForms
from accord.trust.audit import Event

KEPT_COOKIE = "accord_kept"
# The forms worth keeping (what a person writes) and the page that shows each again.
KEEPABLE = (
    (re.compile(r"^/ui/requests/new$"), "/ui/requests/new"),
    (re.compile(r"^(/ui/requests/x-accord-request--[0-9a-f-]{36})/[a-z-]+$"), r"\1"),
)
NOT_KEPT = ("csrf",)  # the ended session's anti-forgery token opens nothing any more


def page_of(path: str) -> str | None:
    """The page that shows the form sent to `path` again, if it is one worth keeping."""
    for pattern, shown in KEEPABLE:
        if pattern.match(path):
            return pattern.sub(shown, path)
    return None


def ended(request: Request, node: Node, form: FormData | None, *, had_session: bool,
          same_site: bool) -> Response:
    """The way to sign-in for a browser whose session has ended: the sign-in page says why,
    and a form it sent is kept to come back after (only one sent from this UI's own pages:
    another site cannot plant a form to be filled in after sign-in)."""
    shown = page_of(request.url.path) if request.method == "POST" else None
    secret = None
    if form is not None and shown is not None and same_site:
        fields = tuple((name, value) for name, value in form.multi_items()
                       if isinstance(value, str) and name not in NOT_KEPT)
        secret = KeptForms(node.engine).keep(KeptForm(request.url.path, fields))
        if secret is not None:  # who sent it is unknown: its session had ended
            node.audit.append([Event(now_timestamp(), "ui.form-kept", None, detail={
                "path": request.url.path, "source": request.client.host if request.client
                else None})])
    if secret is not None and shown is not None:
        target = f"{shown}?kept=1"
        why = "kept"
    elif request.method == "POST":  # back to the page the form was on (a POST has none)
        target = _referring_page(request) or "/ui/"
        why = "ended"
    else:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        why = "ended" if had_session else ""
    address = f"/ui/sign-in?next={quote(target)}" + (f"&why={why}" if why else "")
    response = RedirectResponse(address, status_code=303)
    if secret is not None:
        response.set_cookie(KEPT_COOKIE, secret, max_age=int(KEEP_LIFETIME.total_seconds()),
                            path="/ui/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return response


def _referring_page(request: Request) -> str | None:
    """The path of this UI's page that sent the form (browsers send Referer to this site:
    its referrer policy is same-origin), if any."""
    referer = urlsplit(request.headers.get("referer", ""))
    host = request.headers.get("host", "")
    if referer.netloc == host and referer.path.startswith("/ui/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return None


def restored(request: Request, node: Node, party_id: str, token_id: str) -> KeptForm | None:
    """The form this browser sent before signing in again, if this page (`?kept=1`) is the one
    that shows it; taken once."""
    secret = request.cookies.get(KEPT_COOKIE)
    if request.query_params.get("kept") != "1" or not secret:
        return None
    kept = KeptForms(node.engine).take(secret)
    if kept is None or page_of(kept.path) != request.url.path:
        return None
    node.audit.append([Event(now_timestamp(), "ui.form-restored", party_id, token_id,
                             detail={"path": kept.path})])
    return kept
