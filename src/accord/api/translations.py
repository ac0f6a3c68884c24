"""REST for translations of what parties write in a request's ledger (language-content
objects): either participant adds one; both read them beside the originals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from pydantic import Field

from accord.api.idempotency import Key, Once, keyed
from accord.api.inputs import Input
from accord.api.problems import READS_ONE
from accord.api.refusals import fields_of, located
from accord.cooperation.desk import Actor, CooperationError, Desk, First, NoSuchRequest
from accord.cooperation.translating import Translations, renditions_json
from accord.cooperation.translations import MAX_TEXT
from accord.node import Node
from accord.stix.timestamps import now_timestamp
from accord.trust.access import Principal
from accord.trust.audit import Event
from accord.trust.tokens import ACTING_ROLES


class TranslationIn(Input):
    object_ref: str | None = Field(
        default=None, description="The object of the request's ledger translated: the "
        "request itself (the default), a status report, a response, …")
    lang: str = Field(description="The language translated into (RFC 5646, e.g. zh-Hans)")
    texts: dict[str, str] = Field(
        description="Translated text by property (e.g. summary, description; a status "
        f"report's text); at most {MAX_TEXT:,} characters each")


def add_translation_routes(api: FastAPI, node: Node,
                           principal: Callable[..., Awaitable[Principal]]) -> None:
    translations = Translations(Desk(node))
    once = Once(node)

    def listed(request_id: str, caller: Principal, actor: Actor) -> list[dict[str, Any]]:
        view = translations.desk.view(actor, request_id)
        originals, shown = translations.shown(actor, view)
        return renditions_json(shown, originals, node.directory.names())

    @api.get("/requests/{request_id}/translations", responses=READS_ONE,
             summary="Translations of what the request's parties wrote, beside the originals")
    def read(request_id: str, caller: Principal = Depends(principal)) -> list[dict[str, Any]]:
        """Per object of the ledger that has translations: the original (authoritative) and
        each translation, newest version of each translator's, with who made it and when."""
        actor = Actor(node.directory.party(caller.party_id), caller.token_id,
                      caller.person_name)
        try:
            found = listed(request_id, caller, actor)
        except NoSuchRequest as error:
            raise HTTPException(404, str(error)) from None
        node.reads.record(Event(now_timestamp(), "request.translations.read", caller.party_id,
                                caller.token_id, None, (request_id,)))
        return found

    @api.post("/requests/{request_id}/translations", status_code=201, responses=keyed(201),
              summary="Add a translation of the request or of an entry of its ledger")
    def add(request_id: str, body: TranslationIn, request: Request, response: Response,
            caller: Principal = Depends(principal), key: Key = None) -> dict[str, Any]:
        """Either participant may translate what it may read; a new translation by the same
        party of the same object is a new version of its own (earlier versions are kept).
        Answers the request's translations as `GET` does, with `id` the one made."""
        if caller.role not in ACTING_ROLES:
            raise HTTPException(403, f"a {caller.role} token may read requests but not "
                                     "translate them (that takes the liaison role)")
        actor = Actor(node.directory.party(caller.party_id), caller.token_id,
                      caller.person_name)

        def make(first: First | None) -> dict[str, Any]:
            made = translations.add(actor, request_id, body.object_ref or request_id,
                                    body.lang, body.texts, first)
            return {"id": made.id, "translations": listed(request_id, caller, actor)}

        try:
            return once.answer(key, caller, request, response, body, 201, make, lambda made: {
                "id": made, "translations": listed(request_id, caller, actor)})
        except NoSuchRequest as error:
            raise HTTPException(404, str(error)) from None
        except CooperationError as error:
            raise located(400, error, fields_of(TranslationIn)) from None
