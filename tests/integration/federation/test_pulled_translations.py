"""A translation a peer's node relays is filed with the request's ledger here when a party to
the request made it, and refused, as over TAXII, when no party to it did."""

from __future__ import annotations

import httpx
import orjson
from tests.integration.cooperation.test_reach import translation
from tests.integration.federation.conftest import MITRE, Federation
from tests.integration.federation.test_pulled_receipts import _request_to_the_us

from accord.cooperation.desk import Actor, Desk
from accord.cooperation.translating import Translations
from accord.federation.authorship import TRUSTED_SOURCES
from accord.federation.sync import sync_peer
from accord.intake import _Signer


def test_a_pulled_translation_by_a_party_to_the_request_is_shown_and_one_by_no_party_refused(
        federation):
    f: Federation = federation
    request = _request_to_the_us(f)  # China's request to the US party, the peer's
    theirs = translation(request, f.peer.party_id)
    # Taken unsigned from a source China's operator trusts, but no party to the request.
    f.china.directory.set_setting(TRUSTED_SOURCES, orjson.dumps([MITRE]).decode())
    stranger = translation(request, MITRE)
    # Posted on the US node by the party China's node pulls as, which reads what it posted
    # (the fixture's China there is not the party of China's node, nor a recipient).
    f.us.node.objects.add(f.shared.id, _Signer(f.us.node.engine)([theirs, stranger]),
                          poster_id=f.us.other.id)
    # What China's node pushes of its own ledgers is not what is tested: taken as stored.
    f.hooks.append(lambda r: httpx.Response(202, json={"success_count": 1})
                   if r.method == "POST" else None)
    outcome = sync_peer(f.china, f.peer, f.transport)

    refused = {r.id: r.message for r in outcome.refused}
    assert theirs["id"] not in refused
    assert "made by a party to the request" in refused[stranger["id"]]
    desk = Desk(f.china)
    china = Actor(desk.node.directory.own_party())  # type: ignore[arg-type]
    shown = Translations(desk).shown(china, desk.view(china, request.id))[1]
    assert [(r.translation_id, r.translator) for r in shown[request.id]] == [
        (theirs["id"], f.peer.party_id)]
