"""Search, and one object's page: properties, marking, versions, relationships (a small graph),
correlations and sightings — all of it only what the viewer's party may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from accord.attribution.arrivals import flags_for
from accord.attribution.record import AttributionRecord
from accord.attribution.watchlist import MOST_SCREENED_CHARS, Hit, watchlist
from accord.correlation.values import Value, guess, is_over_broad, value_text
from accord.store.browse import Browse, Found
from accord.store.correlations import Correlations, Mention
from accord.store.inside_seeks import MOST_INSIDE
from accord.store.peers import PeerStore
from accord.trust.markings import TLP_MARKINGS
from accord.web.codes import code_for, word
from accord.web.core import Ctx, NotFound, Page
from accord.web.graph import Edge, svg
from accord.web.prose import MARKDOWN_PROPERTIES, citation_numbers, markdown

# The versions an object's page lists, newest: each is read (its body, for `revoked`), and a
# party may post thousands. TAXII's versions endpoint pages through them all.
VERSIONS_SHOWN = 100
# What a search lists of each kind (mentions of a value; names, ids, types): the newest, the
# count said as "100+" where there are more.
SEARCH_SHOWN = 100
# Relationships and correlations an object's page lists, the same way.
RELATIONSHIPS_SHOWN = 60
CORRELATIONS_SHOWN = 20
# The collections' copies of one object its page compares (each read whole).
COPIES_SHOWN = 20

# Index rows read inside each network an object names, for its page (up to 100 values, each
# looked up): the page shows the newest few of each and links to the search for the rest.
PAGE_INSIDE = 500


def search_page(ctx: Ctx) -> Page:
    text = ctx.arg("q").strip()
    me = ctx.viewer.party_id
    mentions: list[Mention] = []
    broad: list[Mention] = []
    found: list[Found] = []
    read_as: list[Value] = []
    stopped_at: str | None = None
    mentions_more = found_more = False  # more than SEARCH_SHOWN: listed as "100+"
    designated: list[Hit] = []
    if text:
        read_as = guess(text)
        if read_as:
            correlations = Correlations(ctx.node.engine)
            # Most values are in a few objects: one statement (small_look_up), else the rest.
            looked = (correlations.small_look_up(me, read_as, SEARCH_SHOWN + 1)
                      or correlations.look_up(me, read_as, limit=SEARCH_SHOWN + 1))
            mentions, broad = looked.found[:SEARCH_SHOWN], looked.over_broad
            mentions_more = len(looked.found) > SEARCH_SHOWN
            stopped_at = value_text(looked.stopped_at) if looked.stopped_at else None
        # A type in the reader's words (恶意软件, "attack pattern") is searched as its code, and
        # the words as a name too. One more than listed, beside those listed as mentions.
        mentioned = {m.id for m in mentions + broad}
        found = Browse(ctx.node.engine).search(
            me, text, limit=SEARCH_SHOWN + 1 + len(mentioned),
            as_type=code_for(ctx.language, "stix_type", text))
        found = [f for f in found if f.id not in mentioned]
        found_more = len(found) > SEARCH_SHOWN
        found = found[:SEARCH_SHOWN]
        # A name the designations in force hold (in any order or script: 王东 for Wang Dong),
        # as screening finds it: only those the reader's party may read.
        if len(text) <= MOST_SCREENED_CHARS:
            designated = [h for h in watchlist(AttributionRecord(ctx.node), ctx.actor,
                                               actors=False).screen(text, limit=5)
                          if h.match.match and h.designation is not None]
        ctx.audit("lookup", tuple(m.id for m in mentions + broad) + tuple(f.id for f in found)
                  + tuple(h.match.id for h in designated), {"value": text, "page": "search"})
    return Page("search.html", {"q": text, "mentions": mentions, "over_broad": broad,
                                "designated": designated,
                                "found": found, "stopped_at": stopped_at,
                                "mentions_more": mentions_more, "found_more": found_more,
                                "shown": SEARCH_SHOWN,
                                "most_inside": f"{MOST_INSIDE:,}",
                                "read_as": [(word(ctx.language, "observable", v.kind),
                                             value_text(v)) for v in read_as]},
                title=ctx._("Search: {value}", value=text) if text else ctx._("Search"))


# External references whose descriptions an object's page renders as Markdown (ATT&CK's
# objects have up to a few hundred); the rest are shown as written.
RENDERED_REFERENCES = 500


def _refs(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, id) for every reference the object itself makes."""
    refs = []
    for key, value in body.items():
        if key.endswith("_ref") and isinstance(value, str):
            refs.append((key, value))
        elif key.endswith("_refs") and isinstance(value, list):
            refs += [(key, v) for v in value if isinstance(v, str)]
    return refs


def _property(key: str, value: Any, references: list[dict[str, Any]]
              ) -> tuple[str, str, Any]:
    """(name, how to show it, what to show) for one property of an object."""
    if key in MARKDOWN_PROPERTIES and isinstance(value, str):
        return key, "markdown", markdown(value, references)
    if key == "object_marking_refs" and isinstance(value, list):
        return key, "markings", [(ref, TLP_MARKINGS[ref].label if ref in TLP_MARKINGS else ref)
                                 for ref in value]
    if key.endswith("_ref") and isinstance(value, str):
        return key, "ref", value
    if key.endswith("_refs") and isinstance(value, list) and all(isinstance(v, str)
                                                                  for v in value):
        return key, "refs", value
    if key == "external_references" and isinstance(value, list):
        # The numbers once for the page: made again for each reference, 10,000 references
        # took 10 s. Past the first RENDERED_REFERENCES, descriptions are shown as written.
        numbers = citation_numbers(references)
        return key, "external", [
            {**r, "description": markdown(r["description"], references, inline=True,
                                          numbers=numbers)}
            if place < RENDERED_REFERENCES and isinstance(r.get("description"), str) else r
            for place, r in enumerate(references)]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return key, "text", ", ".join(str(v) for v in value)
    if isinstance(value, str | int | float | bool):
        return key, "text", str(value).lower() if isinstance(value, bool) else str(value)
    return key, "json", orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


@dataclass(frozen=True, slots=True)
class Named:
    """How the page names an object it refers to."""

    name: str
    # An identity that is no party of this node, by the name it gives itself: anyone who writes
    # may post one named like a party, so it is shown quoted and marked, never as a party.
    claimed: bool = False


def _named(found: Found) -> Named:
    """A party's identity is named by the node's directory already (store.browse)."""
    return Named(found.name, claimed=found.type == "identity" and not found.is_party)


def _label(ctx: Ctx, named: Named, fallback: str) -> str:
    """`named` as plain text (the graph, the page's title)."""
    if named.claimed:
        return ctx._("“{name}” (not a party of this node)", name=named.name or fallback)
    return named.name or fallback


def _shown_parties(ctx: Ctx, names: dict[str, str] | None = None) -> dict[str, str]:
    """The parties whose identity every viewer may see, by id: this node's own, the viewer's,
    and the peers' (the dashboard names those). Their names."""
    shown = {p.party_id: p.name for p in PeerStore(ctx.node.engine).all()}
    names = ctx.node.directory.names() if names is None else names
    return {i: names[i] for i in (ctx.node.party.id, ctx.viewer.party_id, *shown)
            if i in names}


def _party_page(ctx: Ctx, identity_id: str) -> Page | None:
    """A party's identity, which the node keeps in its directory, not in a collection: the
    page `created_by_ref` links to. Only parties every viewer already sees named: this node's
    own, the viewer's, and the peers' (the dashboard lists those)."""
    if identity_id not in _shown_parties(ctx):
        return None
    peers = {p.party_id: p.name for p in PeerStore(ctx.node.engine).all()}
    party = ctx.node.directory.find_party(identity_id)
    if party is None:
        return None
    identity = next((i for i in ctx.node.directory.identities() if i.get("id") == party.id),
                    {"type": "identity", "id": party.id, "name": party.name})
    ctx.audit("objects.read", (party.id,), {"page": "party"})
    return Page("party.html", {
        "party": party, "is_node": party.id == ctx.node.party.id,
        "is_mine": party.id == ctx.viewer.party_id, "peer": peers.get(party.id),
        "raw": orjson.dumps(identity, option=orjson.OPT_INDENT_2).decode(),
    }, title=party.name)


def _copies(browse: Browse, newest: list[Found]) -> list[Found]:
    """Each collection's newest version (`newest`, by version), one of each that differs:
    the same object imported into two collections is one copy; a version another party
    posted under the creator's name into a collection of its own is another."""
    distinct: list[Found] = []
    for found in newest:
        whole = browse.whole(found)
        if not any(d.version == whole.version and d.body == whole.body for d in distinct):
            distinct.append(whole)
    return distinct


def _shown_copy(ctx: Ctx, copies: list[Found]) -> Found:
    """The copy the page shows: the one asked for (?in=collection), else the one its creator's
    party posted, else one this node's own party posted, else the newest. The newest is not
    shown first for that alone: any party writing to a collection may post a later version
    of an object whose creator is no party (ATT&CK's) under that creator's name."""
    asked = ctx.arg("in")
    chosen = next((c for c in copies if c.collection_id == asked), None) or next(
        (c for c in copies if c.creator_is_party and c.poster == c.body.get("created_by_ref")),
        None) or next((c for c in copies if c.poster in (None, ctx.node.party.id)), None)
    return chosen or copies[0]


def object_page(ctx: Ctx) -> Page | Response:
    object_id = ctx.params["object_id"]
    me = ctx.viewer.party_id
    browse = Browse(ctx.node.engine)
    versions = browse.versions(me, object_id, limit=VERSIONS_SHOWN + 1)
    older = len(versions) > VERSIONS_SHOWN  # not listed: TAXII's versions endpoint has them
    versions = versions[-VERSIONS_SHOWN:]
    if not versions:
        party = _party_page(ctx, object_id)
        if party is not None:
            return party
        raise NotFound(ctx._("No object {id} that {party} may read is on this node.",
                             id=object_id, party=ctx.viewer.principal.party_name))
    # Its versions are listed as lists read them; the one shown is read whole.
    # Each collection's newest: any version the reader may see is in a collection whose
    # newest it may see too (Browse.versions), so there is one at least.
    copies = _copies(browse, browse.copies(me, object_id, limit=COPIES_SHOWN))
    current = _shown_copy(ctx, copies)
    body = current.body
    if current.type == "x-accord-claim" and isinstance(body.get("subject_ref"), str):
        # A claim is read with everything said about it: on its subject's attribution page.
        return RedirectResponse(f"/ui/attribution/{body['subject_ref']}#{object_id}",
                                status_code=303)
    relationships = browse.relationships(me, object_id, limit=RELATIONSHIPS_SHOWN + 1)
    # What took a revoked object's place, in its creator's own word (anyone who writes may
    # post a revoked-by relationship).
    replaced_by = [str(r.body.get("target_ref")) for r in relationships
                   if r.body.get("relationship_type") == "revoked-by"
                   and r.body.get("source_ref") == object_id
                   and r.body.get("created_by_ref") == body.get("created_by_ref")]
    relationships_more = len(relationships) > RELATIONSHIPS_SHOWN
    relationships = relationships[:RELATIONSHIPS_SHOWN]
    own_refs = [(k, v) for k, v in _refs(body) if k not in ("object_marking_refs",)]
    ends = [r.body.get("target_ref") if r.body.get("source_ref") == object_id
            else r.body.get("source_ref") for r in relationships]
    # A party is named by the node's directory, whatever its identity object says of it.
    names = {ref: _named(found) for ref, found in browse.by_ids(
        me, [str(e) for e in ends if e] + [v for _, v in own_refs]).items()}
    # A party's identity lives in the directory, not in a collection: named all the same.
    parties = ctx.node.directory.names()  # who posted each version, too
    shown = _shown_parties(ctx, parties)
    names.update({ref: Named(shown[ref]) for _, ref in own_refs
                  if ref not in names and ref in shown})
    edges = []
    listed: set[tuple[str, str, bool]] = set()
    for rel, end in zip(relationships, ends, strict=True):
        end = str(end)
        other = names.get(end)
        line = (end, str(rel.body.get("relationship_type", "related-to")),
                rel.body.get("source_ref") == object_id)
        if line in listed:
            continue  # the same relationship in two collections (or said twice): one line
        listed.add(line)
        edges.append(Edge(end, _label(ctx, other, end) if other else end.split("--")[0],
                          end.split("--")[0], str(rel.body.get("relationship_type", "related-to")),
                          rel.body.get("source_ref") == object_id))
    for key, ref in own_refs:
        if key in ("created_by_ref",):
            continue
        other = names.get(ref)
        edges.append(Edge(ref, _label(ctx, other, ref) if other else ref.split("--")[0],
                          ref.split("--")[0], key.removesuffix("_refs").removesuffix("_ref"),
                          True))
    correlations = []
    for kind, value in browse.mentioned_values(me, object_id):
        mentioned = Value(kind, value)
        looked = Correlations(ctx.node.engine).look_up(
            # Two more than listed: the object itself among them, and one that says more.
            me, [mentioned], CORRELATIONS_SHOWN + 2, over_broad=False, most_inside=PAGE_INSIDE)
        others = [m for m in looked.found if m.id != object_id]
        # A network such as 0.0.0.0/0 is shown flagged: it is no match of what lies inside.
        # More than are listed (or not all read, in a network): the search has the rest.
        correlations.append((word(ctx.language, "observable", kind), value_text(mentioned),
                             others[:CORRELATIONS_SHOWN], is_over_broad(mentioned),
                             looked.stopped_at is not None, len(others) > CORRELATIONS_SHOWN))
    sightings = Correlations(ctx.node.engine).sightings_of(me, object_id)
    served = {object_id, *(r.id for r in relationships), *names,
              *(m.id for _, _, ms, _, _, _ in correlations for m in ms), *(s.id for s in sightings)}
    ctx.audit("objects.read", tuple(sorted(served)), {"page": "object"})
    references = [r for r in body.get("external_references") or [] if isinstance(r, dict)]
    properties = [_property(k, v, references) for k, v in body.items()
                  if k not in ("id", "type")]
    title = _label(ctx, _named(current), object_id)
    return Page("object.html", {
        "o": current, "versions": versions,
        "copies": copies if len(copies) > 1 else [],
        "posted_by": lambda f: parties.get(f.poster, f.poster) if f.poster else None,
        "older": older, "properties": properties,
        "relationships": relationships, "names": names, "edges": edges,
        "relationships_more": relationships_more, "replaced_by": replaced_by,
        "graph": Markup(svg(object_id, title, current.type,  # noqa: S704
                            edges, ctx._("Relationships of {name}"))) if edges else None,
        "correlations": correlations, "sightings": sightings,
        "flags": flags_for(ctx.node, ctx.actor, object_id),
        "raw": orjson.dumps(body, option=orjson.OPT_INDENT_2).decode(),
    }, title=title)
