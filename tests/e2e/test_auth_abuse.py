"""Failed authentications against a real `accord serve`: throttled per source address with 429
and Retry-After on TAXII, the REST API and the web sign-in, a valid token still served from the
throttled address, every failure on the audit trail with its source and credential form, and
no part of the guessed secret anywhere on disk."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from tests.e2e.conftest import OWN_PARTY, PARTNER, NodeDatabases, created, run_accord, serving, sql

TAXII = "application/taxii+json;version=2.1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
GUESS = "accord_e2eGuessThatMustNeverReachTheDisk-0123456789abcdef"
FAST = ("--tick", "0", "--sync-every", "0")


def node(databases: NodeDatabases) -> tuple[str, str, str]:
    db = databases.new("node")
    admin = created("init", "--party", OWN_PARTY, db=db)
    created("party", "add", PARTNER, db=db)
    partner = created("token", "create", "--party", PARTNER, "--role", "liaison", db=db)
    return db, admin, partner


def stored(databases: NodeDatabases, db: str) -> bytes:
    """What the node's database holds: SQLite's files, or every row of its PostgreSQL
    schema as text."""
    if databases.is_sqlite:
        return b"".join(p.read_bytes() for p in databases.folder.glob("node.db*"))
    tables = sql(db, "SELECT table_name FROM information_schema.tables "
                     "WHERE table_schema = current_schema()")
    return "".join(str(sql(db, f'SELECT * FROM "{table}"')) for (table,) in tables).encode()


def taxii(url: str, token: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{url}taxii2/", headers={"Authorization": f"Bearer {token}",
                                                 "Accept": TAXII, **headers}, timeout=10)


def sign_in(web: httpx.Client, token: str) -> httpx.Response:
    nonce = CSRF.search(web.get("/ui/sign-in").text)
    assert nonce is not None
    return web.post("/ui/sign-in", data={"csrf": nonce.group(1), "token": token})


def audit_rows(db: str, action: str) -> list[dict]:
    done = run_accord("audit", "--action", action, "--json", "--limit", "1000", db=db)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_failures_are_throttled_audited_and_a_valid_token_still_works(
        databases: NodeDatabases, tmp_path: Path):
    db, admin, partner = node(databases)
    # `serving` waits for the server with one GET /taxii2/ without a token: the first failure.
    options = (*FAST, "--auth-failures", "5", "--auth-failure-refill", "1h")
    # One process whatever ACCORD_TEST_SERVERS says: the allowance is each process's own, by
    # design (a failure costs no write; docs/limits.md), and the counts below are one's.
    with serving(db, tmp_path / "serve.log", options=options, servers=1) as url:
        assert [taxii(url, f"{GUESS}{n}").status_code for n in range(4)] == [401] * 4
        throttled = taxii(url, GUESS)
        assert throttled.status_code == 429 and throttled.headers["content-type"] == TAXII
        assert 3000 < int(throttled.headers["retry-after"]) <= 3600
        # X-Forwarded-For from an untrusted peer (by default every peer) changes nothing.
        assert taxii(url, GUESS, **{"X-Forwarded-For": "198.51.100.9"}).status_code == 429
        assert taxii(url, admin).status_code == 200  # the valid token, same address
        api = httpx.get(f"{url}api/v1/node", headers={"Authorization": f"Bearer {GUESS}"})
        assert api.status_code == 429 and api.json()["status"] == 429
        assert httpx.get(f"{url}api/v1/node",
                         headers={"Authorization": f"Bearer {partner}"}).status_code == 200
        with httpx.Client(base_url=url) as web:
            refused = sign_in(web, GUESS)
            assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
            assert int(refused.headers["retry-after"]) > 0
            assert sign_in(web, partner).status_code == 303
    # Stopped: what was pending is on the trail.
    refused_rows = audit_rows(db, "auth.refused")
    assert sorted((r["detail"]["source"], r["detail"]["form"], r["detail"]["via"])
                  for r in refused_rows) == [("127.0.0.1", "bearer", "taxii")] * 4 + [
                      ("127.0.0.1", "none", "taxii")]
    [summary] = audit_rows(db, "auth.throttled")
    assert summary["detail"]["source"] == "127.0.0.1"
    assert summary["detail"]["throttled"] == 4
    assert summary["detail"]["forms"] == {"bearer": 3, "sign-in": 1}
    listed = run_accord("audit", "--action", "auth", db=db, env={"COLUMNS": "200"})
    assert "127.0.0.1" in listed.stdout and "bearer" in listed.stdout
    assert "auth.throttled" in listed.stdout and "auth.refused" in listed.stdout
    assert run_accord("audit", "verify", db=db).returncode == 0
    # No part of the guess on disk: the database (with SQLite's write-ahead log), the
    # server's log.
    on_disk = stored(databases, db) + (tmp_path / "serve.log").read_bytes()
    secret = GUESS.removeprefix("accord_").encode()
    assert not [secret[i:i + 8] for i in range(len(secret) - 8) if secret[i:i + 8] in on_disk]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(
        databases: NodeDatabases, tmp_path: Path):
    db, admin, _partner = node(databases)
    options = (*FAST, "--auth-failures", "2", "--auth-failure-refill", "1h",  # (see above)
               "--trusted-proxy", "127.0.0.1")
    with serving(db, tmp_path / "serve.log", options=options, servers=1) as url:  # (see above)
        one, two = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
        assert [taxii(url, GUESS, **one).status_code for _ in range(3)] == [401, 401, 429]
        assert taxii(url, GUESS, **two).status_code == 401
        assert taxii(url, admin, **one).status_code == 200
    assert sorted(r["detail"]["source"] for r in audit_rows(db, "auth.refused")) == [
        "127.0.0.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"]


def test_wrong_allowance_or_proxy_options_are_refused_in_words(databases: NodeDatabases):
    db, _admin, _partner = node(databases)
    proxy = run_accord("serve", "--trusted-proxy", "the-proxy", db=db)
    assert proxy.returncode == 2 and "--trusted-proxy 'the-proxy'" in proxy.stderr
    refill = run_accord("serve", "--auth-failure-refill", "soon", db=db)
    assert refill.returncode == 2 and "--auth-failure-refill" in refill.stderr
    none = run_accord("serve", "--auth-failures", "0", db=db)
    assert none.returncode == 2 and "--auth-failures" in none.stderr
    # TAXII 2.1 §4.1.1: an API root is announced by an HTTPS or a relative URL.
    plain = run_accord("serve", "--public-url", "http://taxii.example.org/", db=db)
    assert plain.returncode == 2 and "https://" in plain.stderr and "§4.1.1" in plain.stderr
