"""Search, and one object's page: properties, marking, versions, relationships (a small graph),
correlations and sightings — all of it only what the viewer's party may read."""

from __future__ import annotations

from typing import Any

import orjson
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from accord.attribution.arrivals import flags_for
from accord.correlation.values import Value, guess, is_over_broad, network_text
from accord.store.browse import Browse, Found
from accord.store.correlations import Correlations, Mention
from accord.trust.markings import TLP_MARKINGS
from accord.web.core import Ctx, NotFound, Page
from accord.web.format import LABELS
from accord.web.graph import Edge, svg

KIND_LABELS = LABELS["value"]  # one list of these words: web.format's


def search_page(ctx: Ctx) -> Page:
    text = ctx.arg("q").strip()
    me = ctx.viewer.party_id
    mentions: list[Mention] = []
    broad: list[Mention] = []
    found: list[Found] = []
    read_as: list[Value] = []
    if text:
        read_as = guess(text)
        if read_as:
            correlations = Correlations(ctx.node.engine)
            mentions = correlations.lookup(me, read_as, limit=100)
            broad = correlations.over_broad(me, read_as, limit=100)
        found = [f for f in Browse(ctx.node.engine).search(me, text, limit=100)
                 if f.id not in {m.id for m in mentions + broad}]
        ctx.audit("lookup", tuple(m.id for m in mentions + broad) + tuple(f.id for f in found),
                  {"value": text, "page": "search"})
    return Page("search.html", {"q": text, "mentions": mentions, "over_broad": broad,
                                "found": found,
                                "read_as": [(ctx._(KIND_LABELS.get(v.kind, v.kind)), v.value)
                                            for v in read_as]},
                title=ctx._("Search: {value}", value=text) if text else ctx._("Search"))


def _refs(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, id) for every reference the object itself makes."""
    refs = []
    for key, value in body.items():
        if key.endswith("_ref") and isinstance(value, str):
            refs.append((key, value))
        elif key.endswith("_refs") and isinstance(value, list):
            refs += [(key, v) for v in value if isinstance(v, str)]
    return refs


def _property(key: str, value: Any) -> tuple[str, str, Any]:
    """(name, how to show it, what to show) for one property of an object."""
    if key == "object_marking_refs" and isinstance(value, list):
        return key, "markings", [(ref, TLP_MARKINGS[ref].label if ref in TLP_MARKINGS else ref)
                                 for ref in value]
    if key.endswith("_ref") and isinstance(value, str):
        return key, "ref", value
    if key.endswith("_refs") and isinstance(value, list) and all(isinstance(v, str)
                                                                  for v in value):
        return key, "refs", value
    if key == "external_references" and isinstance(value, list):
        return key, "external", [r for r in value if isinstance(r, dict)]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return key, "text", ", ".join(str(v) for v in value)
    if isinstance(value, str | int | float | bool):
        return key, "text", str(value).lower() if isinstance(value, bool) else str(value)
    return key, "json", orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def object_page(ctx: Ctx) -> Page | Response:
    object_id = ctx.params["object_id"]
    me = ctx.viewer.party_id
    browse = Browse(ctx.node.engine)
    versions = browse.versions(me, object_id)
    if not versions:
        raise NotFound(ctx._("No object {id} that {party} may read is on this node.",
                             id=object_id, party=ctx.viewer.principal.party_name))
    current = max(versions, key=lambda f: (f.version, f.date_added))
    body = current.body
    if current.type == "x-accord-claim" and isinstance(body.get("subject_ref"), str):
        # A claim is read with everything said about it: on its subject's attribution page.
        return RedirectResponse(f"/ui/attribution/{body['subject_ref']}#{object_id}",
                                status_code=303)
    relationships = browse.relationships(me, object_id)
    own_refs = [(k, v) for k, v in _refs(body) if k not in ("object_marking_refs",)]
    ends = [r.body.get("target_ref") if r.body.get("source_ref") == object_id
            else r.body.get("source_ref") for r in relationships]
    names = browse.by_ids(me, [str(e) for e in ends if e] + [v for _, v in own_refs])
    edges = []
    for rel, end in zip(relationships, ends, strict=True):
        end = str(end)
        other = names.get(end)
        edges.append(Edge(end, other.name if other else end.split("--")[0], end.split("--")[0],
                          str(rel.body.get("relationship_type", "related-to")),
                          rel.body.get("source_ref") == object_id))
    for key, ref in own_refs:
        if key in ("created_by_ref",):
            continue
        other = names.get(ref)
        edges.append(Edge(ref, other.name if other else ref.split("--")[0], ref.split("--")[0],
                          key.removesuffix("_refs").removesuffix("_ref"), True))
    correlations = []
    for kind, value in browse.mentioned_values(me, object_id):
        mentioned = Value(kind, value)
        others = [m for m in Correlations(ctx.node.engine).lookup(me, [mentioned], 20)
                  if m.id != object_id]
        # A network such as 0.0.0.0/0 is shown flagged: it is no match of what lies inside.
        correlations.append((ctx._(KIND_LABELS.get(kind, kind)),
                             network_text(mentioned) if kind in ("ipv4", "ipv6") else value,
                             others, is_over_broad(mentioned)))
    sightings = Correlations(ctx.node.engine).sightings_of(me, object_id)
    served = {object_id, *(r.id for r in relationships), *names,
              *(m.id for _, _, ms, _ in correlations for m in ms), *(s.id for s in sightings)}
    ctx.audit("objects.read", tuple(sorted(served)), {"page": "object"})
    properties = [_property(k, v) for k, v in body.items() if k not in ("id", "type")]
    return Page("object.html", {
        "o": current, "versions": versions, "properties": properties,
        "relationships": relationships, "names": names, "edges": edges,
        "graph": Markup(svg(object_id, current.name or object_id, current.type,  # noqa: S704
                            edges, ctx._("Relationships of {name}"))) if edges else None,
        "correlations": correlations, "sightings": sightings,
        "flags": flags_for(ctx.node, ctx.actor, object_id),
        "raw": orjson.dumps(body, option=orjson.OPT_INDENT_2).decode(),
    }, title=current.name or object_id)
