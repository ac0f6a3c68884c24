"""Content negotiation (TAXII 2.1 §1.6.8): which media types a request accepts and sends."""

from __future__ import annotations

TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"


def _media_ranges(header: str) -> list[tuple[str, dict[str, str], float]]:
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        params: dict[str, str] = {}
        quality = 1.0
        for piece in pieces[1:]:
            if "=" not in piece:
                continue
            key, value = (s.strip() for s in piece.split("=", 1))
            if key.lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            else:
                params[key.lower()] = value.strip('"')
        ranges.append((media, params, quality))
    return ranges


def accepts_taxii(header: str | None) -> bool:
    """True when the Accept header admits TAXII 2.1 JSON (no header admits anything).

    `application/taxii+json` with version 2.1 or no version, `application/*` and `*/*` qualify.
    As RFC 7231 §5.3.2 weighs them, the most specific range that names TAXII 2.1 JSON decides:
    `application/taxii+json;version=2.1;q=0, */*` refuses it.
    """
    if header is None or header == TAXII_21 or not header.strip():
        return True  # what TAXII clients send, known without parsing
    return _admits(header, "application/taxii+json")


def accepts_stix(header: str) -> bool:
    """True when the Accept header admits STIX 2.1 JSON, weighed as accepts_taxii weighs."""
    return _admits(header, "application/stix+json")


def _admits(header: str, wanted: str) -> bool:
    best: tuple[int, float] | None = None  # (how specific, its quality)
    for media, params, quality in _media_ranges(header):
        if media == wanted and params.get("version", "2.1") == "2.1":
            specific = 3 if "version" in params else 2
        elif media == "application/*":
            specific = 1
        elif media == "*/*":
            specific = 0
        else:
            continue
        if best is None or specific > best[0] or (specific == best[0] and quality > best[1]):
            best = (specific, quality)
    return best is not None and best[1] > 0


def is_taxii_content(header: str | None) -> bool:
    """True when a POST body is declared as TAXII 2.1 JSON (§5.4)."""
    if not header:
        return False
    ranges = _media_ranges(header)
    if len(ranges) != 1:
        return False
    media, params, _ = ranges[0]
    return media == "application/taxii+json" and params.get("version", "2.1") == "2.1"
