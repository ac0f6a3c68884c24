"""What one answer of a peer may cost this node: its bytes, and its time.

A peer's node is run by another party, which may be hostile or broken. Read whole, one answer
of ten gigabytes (or a gzip bomb that inflates to it) would take this node's memory; one byte
every 29 seconds would hold a sync round, and every round after it with the peers behind this
one in `sync_all`, for as long as the peer liked, since a read timeout only bounds the wait
for each byte. So an answer is read as it arrives and given up, the round failing with a
SyncError that says why, once it passes:

- MOST_BYTES, counted after decompression. An Accord node's page holds at most 16 MiB of
  objects, or one object of up to what one POST may carry (64 MiB by default); other TAXII
  servers page by count, and 128 MiB is a thousand objects of 128 KiB;
- GRACE seconds plus its length at MIN_RATE (the server's own rule for a request body,
  docs/limits.md): a large answer may take its time, a trickle may not.

Answers are asked for uncompressed, and one compressed all the same is refused: what a
compressed answer costs is not what arrives (a brotli answer of 1.6 KB inflated to 1 GiB in
one read, before anything here could count it; deflate's empty blocks inflate to nothing, so
an answer could arrive for ever with nothing to time).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

MOST_BYTES = 128 * 2**20
GRACE = 30.0  # seconds
MIN_RATE = 128 * 1024  # bytes a second, after the grace


class AnswerRefused(Exception):
    """The answer passed MOST_BYTES, came too slowly or compressed: what it said is not used."""


class AnswerTooLarge(AnswerRefused):
    """The answer passed MOST_BYTES: a smaller page may not."""


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    headers: httpx.Headers
    content: bytes


def fetch(client: httpx.Client, method: str, url: str, *, most_bytes: int | None = None,
          params: Mapping[str, Any] | None = None, content: bytes | None = None,
          headers: Mapping[str, str] | None = None, timeout: float | None = None) -> Answer:
    """The peer's answer to one request, read within `most_bytes` and in time; raises
    AnswerRefused past either, httpx.HTTPError when the exchange fails. `most_bytes`:
    MOST_BYTES unless given."""
    started = time.monotonic()
    most_bytes = MOST_BYTES if most_bytes is None else most_bytes
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    asked = {**(headers or {}), "Accept-Encoding": "identity"}
    with client.stream(method, url, params=params, content=content, headers=asked,
                       **extra) as answer:
        encoding = answer.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise AnswerRefused(f"{_where(client, url)} answered compressed ({encoding}) when "
                                "asked for an uncompressed answer")
        declared = answer.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > most_bytes:
            raise AnswerTooLarge(f"{_where(client, url)} announced {int(declared):,} bytes, "
                                 f"more than the {most_bytes:,} this node reads in one answer")
        chunks: list[bytes] = []
        size = 0
        # (A transport may hand over an answer read whole already: tests' MockTransport.)
        arriving = [answer.content] if answer.is_stream_consumed else answer.iter_raw()
        for chunk in arriving:
            size += len(chunk)
            if size > most_bytes:
                raise AnswerTooLarge(f"{_where(client, url)} sent more than the "
                                     f"{most_bytes:,} bytes this node reads in one answer")
            if time.monotonic() - started > GRACE + size / MIN_RATE:
                raise AnswerRefused(f"{_where(client, url)} sent {size:,} bytes in "
                                    f"{time.monotonic() - started:.0f} s: too slowly (this "
                                    f"node waits {GRACE:.0f} s plus its length at "
                                    f"{MIN_RATE // 1024} KiB/s)")
            chunks.append(chunk)
        return Answer(answer.status_code, answer.headers, b"".join(chunks))


def _where(client: httpx.Client, url: str) -> str:
    return str(client.base_url.join(url))
