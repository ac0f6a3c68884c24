"""What every page shares: who is signed in, CSRF, rendering, timing and the security headers.

A page handler is plain, synchronous code: it gets a `Ctx` and returns a `Page` (a template and
its data) or a response (e.g. a redirect). `page()` wraps it into a Starlette endpoint that
resolves the session, checks the anti-forgery token of every POST, runs the handler off the
event loop, and renders.
"""

from __future__ import annotations

import hmac
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from accord import clock
from accord.cooperation.desk import Actor
from accord.correlation.values import value_text
from accord.i18n.catalogue import Catalogue, catalogue
from accord.i18n.languages import LANGUAGES, chosen, language_name
from accord.i18n.zones import DEFAULT_ZONE, is_zone
from accord.node import Node
from accord.nul import nul_in
from accord.serving.refusals import Attempt
from accord.stix.timestamps import now_timestamp
from accord.store.directory_entries import Party
from accord.store.engine import one_connection
from accord.store.sessions import Session, Sessions
from accord.trust.access import Principal, is_operator
from accord.trust.audit import Event
from accord.trust.tokens import ACTING_ROLES
from accord.web.codes import word, word_html, word_text
from accord.web.format import Clockface, state_label
from accord.web.kept import ended
from accord.words import how_large, printable, without_directions

COOKIE = "accord_session"
SIGN_IN_COOKIE = "accord_sign_in"  # anti-forgery for the sign-in form itself
LANGUAGE_COOKIE = "accord_lang"  # the language of a browser not signed in (sign-in page)
ZONE_COOKIE = "accord_tz"  # the browser's own time zone, set by accord.js: the first guess

# Nothing from elsewhere: no inline script, no inline style, no framing, forms post here only.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # and so browsers send Origin on our own POSTs
    "x-frame-options": "DENY",
    "cache-control": "no-store",  # pages hold what only this viewer may read
}


def _environment(language: str) -> Environment:
    """The templates in one language: Jinja2's i18n extension over that language's catalogue
    (new-style gettext: `_("… %(name)s …", name=…)` escapes what it fills in)."""
    environment = Environment(loader=PackageLoader("accord.web", "templates"),
                              autoescape=select_autoescape(default=True), trim_blocks=True,
                              lstrip_blocks=True, extensions=["jinja2.ext.i18n"],
                              finalize=_shown)
    environment.install_gettext_translations(catalogue(language),  # type: ignore[attr-defined]
                                             newstyle=True)
    environment.filters.update(moment=_moment, countdown=_countdown, duration=_duration,
                               state_label=state_label)
    environment.globals.update(countdown_tag=_countdown_tag, deadline_sides=_sides)
    environment.globals.update(languages=LANGUAGES)
    environment.filters["language_name"] = lambda tag: language_name(tag, language)
    # A code (ip-theft, response-overdue…) as words in this language, the code in a title.
    environment.filters["word"] = partial(word_html, language)
    environment.filters["word_text"] = partial(word_text, language)
    environment.filters["observable"] = value_text  # 198.51.100.7, not c6336407/32
    environment.filters["how_large"] = how_large  # 1.2 GiB
    # Why a screening flag was raised, in this language (attribution.arrivals.Flag.why_in).
    # What another party chose (a name posted) with its controls written out: a bidirectional
    # override (U+202E) would otherwise turn the rest of the notice around on the page.
    environment.filters["why"] = lambda flag: printable(flag.why_in(catalogue(language).gettext))
    environment.filters["printable"] = printable
    # A record's detail as JSON with its own characters: `tojson` writes 张敏 as \u5f20\u654f,
    # six times as long, and a cut through the escapes shows neither.
    environment.filters["json_text"] = lambda value: orjson.dumps(
        value, option=orjson.OPT_SORT_KEYS).decode()
    # A field's value that is not the form's (a search box, the guidelines being edited).
    environment.filters["as_typed"] = as_typed
    return environment


class AsTyped(str):
    """What a form field holds, shown in it as it was typed: written out, a form sent again
    (after a refusal, or the guidelines edited) would store the written-out text instead."""

    __slots__ = ()


def as_typed(value: Any) -> Any:
    """`value`, if text, to be shown in a form field as typed."""
    return AsTyped(value) if isinstance(value, str) else value


class _TypedForm:
    """A form's values for a template, each as typed (the templates read them with `get`)."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        self._form = form

    def get(self, name: str, default: Any = None) -> Any:
        return as_typed(self._form.get(name, default))


def _shown(value: Any) -> Any:
    """Every value a page shows, translated sentences and the names filled into them too:
    with its directional formatting characters written out (words.without_directions); not
    what a form field holds (AsTyped)."""
    if isinstance(value, AsTyped):
        return str(value)
    if isinstance(value, str):
        shown = without_directions(value)
        if shown is not value:
            # (Markup stays Markup: what replaced the characters is plain ASCII.)
            return Markup(shown) if isinstance(value, Markup) else shown
    return value


# The reader's zone differs within one language: times are formatted by the `clockface` of
# the render context (templates import macros `with context` so that theirs is the reader's).
def _face(context: Context) -> Clockface:
    face = context.get("clockface")
    return face if isinstance(face, Clockface) else \
        Clockface.of(DEFAULT_ZONE, str(context.get("lang") or "en"))


@pass_context
def _moment(context: Context, value: Any) -> Markup:
    return _face(context).moment(value)


@pass_context
def _countdown(context: Context, value: Any, now: datetime) -> str:
    return _face(context).countdown(value, now)


@pass_context
def _duration(context: Context, value: timedelta) -> str:
    return _face(context).duration(value)


@pass_context
def _countdown_tag(context: Context, value: Any, now: datetime, label: str = "") -> Markup:
    return _face(context).countdown_tag(value, now, label)


@pass_context
def _sides(context: Context, value: Any, zones: Any) -> str:
    return _face(context).sides(value, zones)


TEMPLATES = {language: _environment(language) for language in LANGUAGES}


def language_of(request: Request, viewer: Viewer | None) -> str:
    """The person's chosen language, else this browser's cookie, else its Accept-Language."""
    stored = viewer.principal.locale if viewer else ""
    return chosen(stored or request.cookies.get(LANGUAGE_COOKIE, ""),
                  request.headers.get("accept-language"))


def zone_of(request: Request, viewer: Viewer | None) -> str:
    """The person's chosen time zone, else the one this browser reports (its cookie), else
    UTC."""
    stored = viewer.principal.time_zone if viewer else ""
    if stored and is_zone(stored):
        return stored
    guessed = request.cookies.get(ZONE_COOKIE, "")
    return guessed if is_zone(guessed) else DEFAULT_ZONE


def words(language: str) -> Catalogue:
    """The catalogue for messages written in Python (problems, notices) in `language`."""
    return catalogue(language)


class NotFound(Exception):
    """Nothing the viewer may see is there (the same whether it exists or not)."""


class Forbidden(Exception):
    """The viewer's role does not allow this; the message says what would."""


@dataclass(frozen=True, slots=True)
class Viewer:
    principal: Principal
    session: Session
    node_party: Party  # the node's own party, read once a page

    @property
    def party_id(self) -> str:
        return self.principal.party_id

    @property
    def may_act(self) -> bool:
        """May send and answer requests (liaison or admin)."""
        return self.principal.role in ACTING_ROLES

    @property
    def is_admin(self) -> bool:
        """Administers this node: an admin of the node's own party."""
        return self.principal.role == "admin" and self.party_id == self.node_party.id


@dataclass
class Ctx:
    request: Request
    node: Node
    viewer: Viewer
    form: FormData | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    language: str = "en"
    zone: str = DEFAULT_ZONE

    @property
    def clockface(self) -> Clockface:
        """Times, durations and countdowns as this reader reads them."""
        return Clockface.of(self.zone, self.language)

    def _(self, message: str, **values: Any) -> str:
        """`message` in the reader's language, its {placeholders} filled in. Messages are
        found by Babel's extractor (`_` is one of its keywords): write them whole, with
        named placeholders, so a translation may put the words in its own order."""
        text = catalogue(self.language).gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, count: int, **values: Any) -> str:
        text = catalogue(self.language).ngettext(singular, plural, count)
        return text.format(count=count, **values)

    @property
    def actor(self) -> Actor:
        # What a person writes is taken to be in the language they read the pages in.
        return Actor(self.node.directory.party(self.viewer.party_id),
                     self.viewer.principal.token_id, self.viewer.principal.person_name,
                     self.language)

    def arg(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def field(self, name: str, default: str = "") -> str:
        """The form's field, its line breaks as "\n": a browser sends a textarea's as
        "\r\n", and counted so, a text the textarea's maxlength let through would be over
        the server's bound (HTML counts a line break as one character)."""
        value = self.form.get(name) if self.form is not None else None
        return value.replace("\r\n", "\n").strip() if isinstance(value, str) else default

    def lines(self, name: str) -> tuple[str, ...]:
        """A textarea of one item per line (commas also separate), each once, in order."""
        text = self.field(name).replace(",", "\n")
        return tuple(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))

    def audit(self, action: str, object_ids: tuple[str, ...] = (),
              detail: dict[str, Any] | None = None) -> None:
        """Every read through the UI is on the audit trail, as through TAXII and REST."""
        self.node.reads.record(Event(now_timestamp(), action, self.viewer.party_id,
                                     self.viewer.principal.token_id, None, object_ids,
                                     {"via": "ui", **(detail or {})}))


@dataclass
class Page:
    template: str
    data: dict[str, Any]
    status: int = 200
    title: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # e.g. a 429's Retry-After


Handler = Callable[[Ctx], "Page | Response"]


def viewer_of(node: Node, request: Request) -> Viewer | None:
    """Who the session cookie stands for. The same work whatever is wrong with the cookie
    (absent, unknown, expired, its token revoked): one digest and two queries. A cookie that
    opens nothing is a failed authentication, counted against its source and recorded."""
    secret = request.cookies.get(COOKIE) or ""
    session = Sessions(node.engine).find(secret)
    # Asked even without a session ("" is no token's id), so that no case is quicker.
    principal = node.directory.principal_by_token_id(session.token_id if session else "")
    if session is not None and principal is not None:
        return Viewer(principal, session, node.party)
    if secret:
        # Always the way to the sign-in form, even when throttled: the form is where a valid
        # token still gets in, and a session secret (256 bits) is no more guessable than one.
        node.refusals.refuse(Attempt(request.client.host if request.client else None,
                                     "session", "ui", request.method, request.url.path))
    return None


def same_origin(request: Request) -> bool:
    """A POST whose Origin names another site is refused (CSRF defence in depth)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def render(request: Request, page: Page, viewer: Viewer | None, node: Node,
           started: float, node_name: str | None = None) -> Response:
    """The page; `node_name` when the node's own cannot be read (its database away)."""
    now = clock.now()
    language = language_of(request, viewer)
    face = Clockface.of(zone_of(request, viewer), language)
    node_name = node_name or (viewer.node_party if viewer else node.party).name
    context = {**page.data, "viewer": viewer, "node_name": node_name,
               "now": now, "lang": language, "clockface": face,
               "zone_label": face.zone_label(now), "dates_zone": face.dates_label(now),
               "path": request.url.path, "title": page.title,
               "here": _here(request),
               "csrf": viewer.session.csrf if viewer else page.data.get("csrf", "")}
    if isinstance(page.data.get("form"), Mapping):
        context["form"] = _TypedForm(page.data["form"])
    html = TEMPLATES[language].get_template(page.template).render(context)
    return finish(HTMLResponse(html, status_code=page.status, headers=page.headers or None),
                  started, timed=viewer is not None and (
                      is_operator(viewer.principal, viewer.node_party.id)
                      or os.environ.get(SERVER_TIMING) == "1"))


# The pages a form posts to and that answer only POST: where a page they show (a refusal, a
# confirmation) sends the language switch and other links back to, as GET.
_POSTED_TO = re.compile(r"^(/ui/(?:requests/[^/]+|attribution/[^/]+|admin))/[^/]+$")


def _here(request: Request) -> str:
    """This page's address, to come back to (the language switch): for a page shown in
    answer to a form, the page the form was on."""
    path = request.url.path
    if request.method != "GET":
        if path == "/ui/requests/check":
            return "/ui/requests/new"
        posted = _POSTED_TO.match(path)
        if posted is not None:
            return posted.group(1)
    return path + (f"?{request.url.query}" if request.url.query else "")


# Set to 1 (the benchmarks do), every signed-in viewer's pages say how long they took.
SERVER_TIMING = "ACCORD_SERVER_TIMING"


def finish(response: Response, started: float, *, timed: bool = False) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if timed:
        # How long the server took, for the operator's developer tools and the UI
        # benchmarks: to the node's own admins alone. To anyone, it gave a party timing the
        # search for what others hold the server's own time, without the network's noise.
        response.headers["server-timing"] = \
            f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def problem(status: int, heading: str, text: str) -> Page:
    return Page("problem.html", {"heading": heading, "text": text}, status, heading)


def page(node: Node, handler: Handler, *, admin: bool = False) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        # On the event loop, on the connection it keeps (store.resident), as TAXII
        # authenticates: two small reads cost less than a hop to a worker thread and back.
        with one_connection():
            viewer = viewer_of(node, request)
        if viewer is None:
            sent = await request.form() if request.method == "POST" else None
            response = await run_in_threadpool(
                ended, request, node, sent, had_session=bool(request.cookies.get(COOKIE)),
                same_site=same_origin(request))
            if request.cookies.get(COOKIE):  # it opens nothing: the browser need not send it
                response.delete_cookie(COOKIE, path="/ui/")
            return finish(response, started)
        language = language_of(request, viewer)
        _ = words(language).gettext
        form = None
        if request.method == "POST":
            form = await request.form()
            given = form.get("csrf")
            if (not isinstance(given, str) or not same_origin(request)
                    or not hmac.compare_digest(given, viewer.session.csrf)):
                return render(request, problem(
                    403, _("This form has expired"),
                    _("The form did not come from this page of Accord, or your session was "
                      "renewed since. Go back, reload the page and send it again.")),
                    viewer, node, started)
        nul = nul_in(request, form)
        if nul is not None:
            where = {"path": _("The address {name} holds a NUL character, which nothing in "
                               "Accord can hold: check what was pasted."),
                     "query": _("The address parameter {name} holds a NUL character, which "
                                "nothing in Accord can hold: check what was pasted."),
                     "form": _("The form field {name} holds a NUL character, which nothing "
                               "in Accord can hold: check what was pasted.")}
            return render(request, problem(400, _("Not possible"),
                                           where[nul[0]].format(name=repr(nul[1]))),
                          viewer, node, started)
        if admin and not viewer.is_admin:
            return render(request, problem(
                403, _("Administrators only"),
                _("Your token has the {role} role for {party}; this page needs an admin of "
                  "{node}.").format(role=word(language, "role", viewer.principal.role),
                                    party=viewer.principal.party_name,
                                    node=viewer.node_party.name)),
                viewer, node, started)
        ctx = Ctx(request, node, viewer, form, dict(request.path_params), language,
                  zone_of(request, viewer))
        try:
            result = await run_in_threadpool(handler, ctx)
        except NotFound as error:
            result = problem(404, _("Not found"), str(error))
        except Forbidden as error:
            result = problem(403, _("Not allowed"), str(error))
        if isinstance(result, Page):
            return render(request, result, viewer, node, started)
        return finish(result, started)

    return endpoint
