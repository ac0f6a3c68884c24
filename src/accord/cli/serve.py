"""Run the node: the TAXII 2.1 server."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import DEFAULT_DB, Db, app, err, fail, opened
from accord.cli.knocking import keep_allowance, trusted_proxies
from accord.durations import DurationError, parse_duration
from accord.node import initialise


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8400,
    workers: Annotated[int, typer.Option(help="Worker processes (each serves requests).")] = 1,
    party: Annotated[str, typer.Option(help="On first run: the name of this node's party.")]
    = "Local CERT",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    public_url: Annotated[str | None, typer.Option(
        help="The URL clients reach this node at (e.g. behind a TLS proxy), announced in "
             "TAXII discovery; kept for later runs.")] = None,
    tick: Annotated[str, typer.Option(
        help="How often the deadline watcher checks for overdue requests (e.g. 30s, 1s, "
             "PT5M); 0 turns it off.")] = "30s",
    sync_every: Annotated[str, typer.Option(
        help="How often to pull from peers (e.g. 5s); 0 turns it off.")] = "5s",
    max_objects: Annotated[int | None, typer.Option(
        min=1, help="The most STIX objects one POST may carry (default 10000; see "
                    "docs/limits.md); kept for later runs.")] = None,
    auth_failures: Annotated[int | None, typer.Option(
        min=1, help="Failed authentications one client address may make in a row before it "
                    "is answered 429 (default 20; a valid token is always served); kept for "
                    "later runs.")] = None,
    auth_failure_refill: Annotated[str | None, typer.Option(
        help="How soon an address gets one more attempt (default 6s); kept for later "
             "runs.")] = None,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        help="A reverse proxy (address or network) whose X-Forwarded-For names the client; "
             "repeat for more. Without it the header is ignored.")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Serve TAXII 2.1 at http://HOST:PORT/taxii2/ and the REST API at /api/v1/, and watch
    request deadlines (creates the node on first run)."""
    try:
        every = 0.0 if tick.strip() == "0" else parse_duration(tick).total_seconds()
    except DurationError as error:
        raise fail(f"--tick: {error}") from None
    try:
        pull = 0.0 if sync_every.strip() == "0" else parse_duration(sync_every).total_seconds()
    except DurationError as error:
        raise fail(f"--sync-every: {error}") from None
    proxies = trusted_proxies(trusted_proxy)
    with opened(db, initialised=False) as node:
        if public_url is not None:
            if not public_url.startswith(("http://", "https://")):
                raise fail(f"--public-url {public_url!r}: give a full URL such as "
                           "https://cert.example.org/")
            node.directory.set_setting("public_url", public_url.rstrip("/") + "/")
            node.info = replace(node.info, public_url=public_url.rstrip("/") + "/")
        if max_objects is not None:
            node.directory.set_setting("max_objects", str(max_objects))
            node.info = replace(node.info, max_objects=max_objects)
        keep_allowance(node, auth_failures, auth_failure_refill)
        if node.directory.own_party() is None:
            own, token = initialise(node, party)
            err.print(f"New node of [bold]{escape(own.name)}[/] created in {escape(db)}.")
            err.print(f"Admin token (shown only now): [bold]{token}[/]")
        else:
            token = None
        base = f"http://{host}:{port}"
        err.print(f"Web UI: {base}/ui/ (sign in with a token)")
        err.print(f"TAXII 2.1 discovery: {base}/taxii2/   API root: {base}/taxii2/accord/")
        err.print("Try: curl -H 'Authorization: Bearer YOUR_TOKEN' "
                  "-H 'Accept: application/taxii+json;version=2.1' "
                  f"{base}/taxii2/accord/collections/")
        if token is None:
            err.print("(make a token with: accord token create --party NAME)")
    import uvicorn  # here, not at the top: other commands start faster without it

    from accord.app import create_app

    if workers > 1:
        # Each worker process opens the database itself, from the environment.
        os.environ["ACCORD_DB"] = db
        os.environ["ACCORD_TICK"] = str(every)
        # Each worker pulls; a lease on each peer (store.peers) lets one round at a time run.
        os.environ["ACCORD_SYNC_EVERY"] = str(pull)
        uvicorn.run("accord.app:create_app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", access_log=access_log,
                    proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)
    else:
        uvicorn.run(create_app(node, every or None, pull or None), host=host, port=port,
                    log_level="warning", access_log=access_log,
                    proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)
