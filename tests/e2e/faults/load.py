"""Clients that post envelopes and read pages and look-ups without pause while a test does
harm to the server, keeping every envelope and what became of it."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from tests.e2e.conftest import TAXII
from tests.e2e.faults.stix_data import mixed, version_key


@dataclass
class Post:
    objects: list[dict]
    token: str
    answer: dict | None = None  # the status resource of a 202
    status: int | None = None  # another answer's HTTP status; None: no answer at all


@dataclass
class Load:
    base: str  # the server's base URL
    collection: str
    tokens: list[str]
    rng: random.Random
    recipient: str  # whom the TLP:RED notes are addressed to
    posts: list[Post] = field(default_factory=list)
    answers: Counter[int] = field(default_factory=Counter)  # every HTTP status received
    # (when the request was sent, its HTTP status), time.monotonic()
    timeline: list[tuple[float, int]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # answers that are neither JSON nor TAXII
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.base}taxii2/accord/collections/{self.collection}/objects/"

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": TAXII, "Content-Type": TAXII}

    def start(self, clients: int) -> None:
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _envelope(self) -> Post:
        with self.lock:  # one Random, many threads
            post = Post(mixed(self.rng, self.rng.choice((1, 20, 150)), self.recipient,
                              len(self.posts) % 250), self.rng.choice(self.tokens))
            self.posts.append(post)
        return post

    def _noted(self, answer: httpx.Response, json_type: str) -> httpx.Response:
        sent = time.monotonic() - answer.elapsed.total_seconds()
        with self.lock:
            self.answers[answer.status_code] += 1
            self.timeline.append((sent, answer.status_code))
            if answer.status_code >= 400 and not answer.headers.get(
                    "content-type", "").startswith(json_type):
                self.wrong.append(f"{answer.status_code} {answer.request.url.path}: "
                                  f"{answer.text[:200]}")
        return answer

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            post = self._envelope()
            while not self.stop.is_set():
                try:
                    answer = self._noted(client.post(
                        self.url, json={"objects": post.objects},
                        headers=self.headers(post.token)), TAXII.split(";")[0])
                except httpx.ConnectError:  # the server is down; nothing was sent
                    time.sleep(0.05)
                    continue
                except httpx.TransportError:  # sent, and the server died: the answer is lost
                    post = self._envelope()
                    continue
                if answer.status_code == 202:
                    post.answer = answer.json()
                elif answer.status_code == 503:  # as the answer says: the same, a bit later
                    post.status = 503
                    time.sleep(0.2)
                    continue
                else:
                    post.status = answer.status_code
                try:
                    self._noted(client.get(self.url, params={"limit": 50},
                                           headers=self.headers(post.token)), "application/taxii")
                    self._noted(client.get(f"{self.base}api/v1/lookup",
                                           params={"value": "10.0.0.1"},
                                           headers=self.headers(post.token)), "application/json")
                except httpx.TransportError:
                    pass
                post = self._envelope()
            with self.lock:
                self.posts.remove(post)  # made, never sent

    def failed_since(self, moment: float) -> list[int]:
        """The statuses of 5xx answers to requests sent after `moment`."""
        with self.lock:
            return [status for sent, status in self.timeline if sent > moment
                    and status >= 500]

    def check_stored(self, stored: set[tuple[str, str]]) -> None:
        """What was acknowledged is stored; a POST whose answer was lost, or that failed, is
        stored whole or not at all."""
        for post in self.posts:
            mine = {version_key(o) for o in post.objects}
            if post.answer is not None:
                assert post.answer["success_count"] == len(post.objects)
                assert mine <= stored, "an acknowledged POST lost objects"
            else:
                assert not mine & stored or mine <= stored, "a POST was half-stored"

    def post_the_rest(self) -> None:
        """What clients that got no 202 do: post the same envelopes again."""
        for post in self.posts:
            if post.answer is None:
                again = httpx.post(self.url, json={"objects": post.objects}, timeout=60,
                                   headers=self.headers(post.token))
                assert again.status_code == 202 and again.json()["failure_count"] == 0, \
                    again.text[:500]

    def everything(self) -> set[tuple[str, str]]:
        return {version_key(o) for p in self.posts for o in p.objects}
