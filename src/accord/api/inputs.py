"""What every body the REST API takes has in common: a field it does not know is refused
(422, naming it), not ignored. `"alias": [...]` for `aliases`, or `"programe"`, created a
designation without them and said nothing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
