"""What the attribution tests attribute: a campaign (the OPM intrusions) and a group (APT19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

APT19 = "intrusion-set--18854f55-ac7c-4634-bd9a-352dd07613b7"
OPM = "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


def opm_objects() -> list[dict[str, Any]]:
    return [
        {"type": "intrusion-set", "spec_version": "2.1", "id": APT19, "name": "APT19",
         "created": "2017-05-31T21:31:58.518Z", "modified": "2017-05-31T21:31:58.518Z"},
        {"type": "campaign", "spec_version": "2.1", "id": OPM, "name": "OPM intrusions",
         "created": "2015-06-01T00:00:00.000Z", "modified": "2015-06-01T00:00:00.000Z"},
    ]


def opm_bundle(path: Path) -> Path:
    """The objects as a bundle file, for `accord import`."""
    path.write_text(json.dumps({"type": "bundle", "objects": opm_objects()}))
    return path
