"""The web UI's routes, mounted at /ui by the node's app."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from accord.node import Node
from accord.store.faults import noted
from accord.web.admin_page import admin_change, admin_page
from accord.web.attribution_page import attribution_act, attribution_page
from accord.web.core import language_of, page, problem, render, viewer_of, words
from accord.web.dashboard import dashboard
from accord.web.hotline_page import hotline_page
from accord.web.new_request import check, evidence_search, new_request
from accord.web.objects_page import object_page, search_page
from accord.web.preferences import choose_language, preferences_page
from accord.web.request_page import act, request_page
from accord.web.requests_list import requests_csv, requests_list
from accord.web.review_page import review_download, review_page
from accord.web.signin import sign_in, sign_out
from accord.web.translations_page import add_translation

FAVICON = Path(__file__).parent / "static" / "favicon.ico"


class _Assets(StaticFiles):
    """The UI's stylesheets and script: the same for everyone, so caches may keep them, but
    asked again each time (ETag, 304) since a new release changes them under the same name."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("cache-control", "no-cache")
        return response


async def favicon(_request: Request) -> Response:
    """/favicon.ico, which browsers ask for on every site whatever the page links to."""
    return FileResponse(FAVICON, media_type="image/x-icon", headers={
        "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff"})


def build_web(node: Node) -> Starlette:
    routes = [
        Route("/", page(node, dashboard)),
        Route("/sign-in", sign_in(node), methods=["GET", "POST"]),
        Route("/sign-out", sign_out(node), methods=["POST"]),
        Route("/language", choose_language(node), methods=["POST"]),
        Route("/preferences", page(node, preferences_page), methods=["GET", "POST"]),
        Route("/requests", page(node, requests_list)),
        Route("/requests.csv", page(node, requests_csv)),
        Route("/requests/new", page(node, new_request), methods=["GET", "POST"]),
        Route("/requests/check", page(node, check), methods=["POST"]),
        Route("/evidence", page(node, evidence_search)),
        Route("/requests/{request_id}", page(node, request_page)),
        Route("/requests/{request_id}/translations", page(node, add_translation),
              methods=["POST"]),
        Route("/requests/{request_id}/{act}", page(node, act), methods=["POST"]),
        Route("/review", page(node, review_page)),
        Route("/review/download", page(node, review_download)),
        Route("/hotline", page(node, hotline_page)),
        Route("/search", page(node, search_page)),
        Route("/objects/{object_id}", page(node, object_page)),
        Route("/attribution/{subject}", page(node, attribution_page)),
        Route("/attribution/{subject}/{act}", page(node, attribution_act), methods=["POST"]),
        Route("/admin", page(node, admin_page, admin=True)),
        Route("/admin/{what}", page(node, admin_change, admin=True), methods=["POST"]),
        Mount("/static", _Assets(packages=[("accord.web", "static")]), name="static"),
    ]

    async def failed(request: Request, exc: Exception) -> Response:
        logging.getLogger("accord").exception("web UI failed on %s %s", request.method,
                                              request.url.path, exc_info=exc)
        # Never a traceback in a page: it may hold what the viewer may not read.
        _ = words(language_of(request, None)).gettext
        return render(request, problem(500, _("Something went wrong"),
                                       _("Accord could not show this page; the failure has "
                                         "been logged for the node's administrator.")),
                      None, node, time.perf_counter())

    async def database_failed(request: Request, exc: Exception) -> Response:
        fault = noted(exc, f"{request.method} {request.url.path}")
        if fault is None:
            return await failed(request, exc)
        _ = words(language_of(request, None)).gettext
        text = (_("Accord cannot store anything more: the disk holding its database is full "
                  "or failing. Nothing of what you sent was saved. Tell the node's "
                  "administrator.") if fault.status == 507 else
                _("Accord cannot reach its database just now. Nothing of what you sent was "
                  "done. Try again in a few seconds."))
        response = render(request, problem(fault.status, _("Not possible now"), text), None, node,
                          time.perf_counter(), node_name="Accord")
        response.headers.update(fault.headers)
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        # A page Accord does not have, for a signed-in officer: the page as any other, with
        # the session's anti-forgery token (the language buttons did nothing without it) and
        # the officer's language and zone.
        viewer = await run_in_threadpool(viewer_of, node, request) \
            if exc.status_code in (404, 405) else None
        _ = words(language_of(request, viewer)).gettext
        text = (_("There is no such page in Accord.") if exc.status_code == 404
                else _("{method} is not allowed here.").format(method=request.method)
                if exc.status_code == 405 else str(exc.detail))
        return render(request, problem(exc.status_code, _("Not found") if exc.status_code == 404
                                       else _("Not possible"), text),
                      viewer, node, time.perf_counter())

    return Starlette(routes=routes, exception_handlers={
        HTTPException: http_error, DBAPIError: database_failed, PoolTimeout: database_failed,
        Exception: failed})
