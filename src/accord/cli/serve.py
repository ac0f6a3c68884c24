"""Run the node: the TAXII 2.1 server."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from accord import clock
from accord.cli.common import DEFAULT_DB, Db, app, err, fail, opened, signals_reach_us
from accord.cli.knocking import keep_allowance, trusted_proxies
from accord.durations import DurationError, parse_duration
from accord.node import initialise_once
from accord.serving.limits import LimitError, kept_limits
from accord.serving.tls import TlsSettingsError, listener_tls
from accord.store.urls import shown_url


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
    retract_every: Annotated[str, typer.Option(
        help="How often to read each peer's manifests whole, to remove here what it withdrew "
             "(deleted, or no longer shows this node's party), e.g. 10m; 0: at every pull. "
             "Each read lists, and the peer audits, every object it shares.")] = "10m",
    max_objects: Annotated[int | None, typer.Option(
        min=1, help="The most STIX objects one POST may carry (default 10000; see "
                    "docs/limits.md); kept for later runs.")] = None,
    tls_cert: Annotated[Path | None, typer.Option(
        help="Serve HTTPS with this certificate (PEM; its chain may follow it).")] = None,
    tls_key: Annotated[Path | None, typer.Option(
        help="The unencrypted private key (PEM) of --tls-cert.")] = None,
    tls_client_ca: Annotated[Path | None, typer.Option(
        help="Mutual TLS: require every client to present a certificate signed by this CA "
             "(PEM); tokens are still required.")] = None,
    max_header_size: Annotated[str | None, typer.Option(
        help="The most a request line and its headers may take (default 64KiB): more is "
             "answered 431, or 414 for a long URL; kept for later runs.")] = None,
    header_timeout: Annotated[str | None, typer.Option(
        help="Time a request line and headers may take, from the connection or the previous "
             "response (default 10s); then 408; kept for later runs.")] = None,
    body_timeout: Annotated[str | None, typer.Option(
        help="Time any request body may take on top of its length at --min-body-rate "
             "(default 10s); then 408; kept for later runs.")] = None,
    min_body_rate: Annotated[str | None, typer.Option(
        help="Bytes a second a request body must average beyond --body-timeout (default "
             "128KiB: a 64 MiB envelope within 522 s); kept for later runs.")] = None,
    idle_timeout: Annotated[str | None, typer.Option(
        help="How long a connection may stay open without a request (default 5s); kept "
             "for later runs.")] = None,
    max_connections: Annotated[int | None, typer.Option(
        min=1, help="Connections each worker holds at most (default 1000); more are "
                    "answered 503; kept for later runs.")] = None,
    max_connections_per_source: Annotated[int | None, typer.Option(
        min=1, help="Of those, what one IPv4 address or IPv6 /64 may hold (default 32; "
                    "behind a proxy, as many as --max-connections); kept for later runs.")]
    = None,
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
    read_db: Annotated[str | None, typer.Option(
        envvar="ACCORD_READ_DB",
        help="A streaming replica of --db (postgresql://…): read-only requests read from it; "
             "a client reads its own writes at once; reads fall back to --db while it is "
             "away (docs/deployment.md).")] = None,
    db: Db = DEFAULT_DB,
) -> None:
    """Serve TAXII 2.1 at http://HOST:PORT/taxii2/ (https:// with --tls-cert) and the REST API
    at /api/v1/, and watch request deadlines (creates the node on first run)."""
    if (taken := _port_taken(host, port)) is not None:
        # Before the node is opened and its banner printed: uvicorn would say so after both.
        raise fail(f"cannot listen on {host}:{port}: {taken}; choose another with --port, or "
                   "stop what listens there")
    try:
        tls = listener_tls(tls_cert, tls_key, tls_client_ca, clock.now())
    except TlsSettingsError as error:
        raise fail(str(error)) from None
    try:
        every = 0.0 if tick.strip() == "0" else parse_duration(tick).total_seconds()
    except DurationError as error:
        raise fail(f"--tick: {error}") from None
    try:
        pull = 0.0 if sync_every.strip() == "0" else parse_duration(sync_every).total_seconds()
    except DurationError as error:
        raise fail(f"--sync-every: {error}") from None
    try:
        withdrawn = 0.0 if retract_every.strip() == "0" \
            else parse_duration(retract_every).total_seconds()
    except DurationError as error:
        raise fail(f"--retract-every: {error}") from None
    proxies = trusted_proxies(trusted_proxy)
    # serving: PostgreSQL shows which node this server's connections serve (its workers'
    # too), and `accord restore` refuses to replace it under them.
    with opened(db, initialised=False, read_db=read_db, serving=True) as node:
        mismatch = node.replica.mismatch() if node.replica is not None else None
        if mismatch is not None:
            raise fail(f"--read-db {shown_url(read_db or '')!r} is not a replica of --db: "
                       f"{mismatch}")
        if public_url is not None:
            if public_url.startswith("http://"):
                # TAXII 2.1 §4.1.1: API roots are HTTPS absolute URLs, or relative ones.
                raise fail(f"--public-url {public_url!r}: TAXII announces its API root by an "
                           "https:// address (TAXII 2.1 §4.1.1); serve behind TLS, or leave "
                           "--public-url out to announce relative URLs")
            if not public_url.startswith("https://"):
                raise fail(f"--public-url {public_url!r}: give a full URL such as "
                           "https://cert.example.org/")
            node.directory.set_setting("public_url", public_url.rstrip("/") + "/")
            node.info = replace(node.info, public_url=public_url.rstrip("/") + "/")
        if max_objects is not None:
            node.directory.set_setting("max_objects", str(max_objects))
            node.info = replace(node.info, max_objects=max_objects)
        given = {"max_header_size": max_header_size, "header_timeout": header_timeout,
                 "body_timeout": body_timeout, "min_body_rate": min_body_rate,
                 "idle_timeout": idle_timeout, "max_connections": max_connections,
                 "max_connections_per_source": max_connections_per_source}
        try:
            limits = kept_limits(node.directory.setting, node.directory.set_setting, given)
        except LimitError as error:
            raise fail(f"--{error.field.replace('_', '-')}: {error.message}") from None
        keep_allowance(node, auth_failures, auth_failure_refill)
        first_run = node.directory.own_party() is None
        own, token = initialise_once(node, party)
        if token is not None:
            err.print(f"New node of [bold]{escape(own.name)}[/] created in "
                      f"{escape(shown_url(db))}.")
            err.print(f"Admin token (shown only now): [bold]{token}[/]")
        elif first_run:
            # Another host started on the same empty database made the node a moment before.
            err.print(f"The node of [bold]{escape(own.name)}[/] was created meanwhile by another "
                      "server on this database; its admin token was shown there.")
            if own.name.casefold() != party.strip().casefold():
                err.print(f"[bold red]warning:[/] --party {escape(party)!r} is not its party's "
                          "name; this server serves that node")
        base = f"{'https' if tls else 'http'}://{host}:{port}"
        if tls is not None:
            for warning in tls.warnings:
                err.print(f"[bold red]warning:[/] {escape(warning)}")
            err.print(f"TLS certificate fingerprint (peers pin it: `accord peer add NAME --url "
                      f"{base}/ --tls-fingerprint …`): {tls.fingerprint}")
        err.print(f"Web UI: {base}/ui/ (sign in with a token)")
        err.print(f"TAXII 2.1 discovery: {base}/taxii2/   API root: {base}/taxii2/accord/")
        err.print("Try: curl " + (f"--cacert {escape(str(tls.cert))} " if tls else "")
                  + "-H 'Authorization: Bearer YOUR_TOKEN' "
                  "-H 'Accept: application/taxii+json;version=2.1' "
                  f"{base}/taxii2/accord/collections/")
        if token is None:
            err.print("(make a token with: accord token create --party NAME)")
        err.print(f"Limits: {limits.summary()} (see docs/limits.md)")
        if node.replica is not None:
            err.print("Reads: from the replica " + escape(shown_url(read_db or ""))
                      + (" (not answering now: from the primary until it does)"
                         if not node.replica.replica_answers() else ""))
    import uvicorn  # here, not at the top: other commands start faster without it

    from accord.app import create_app
    from accord.serving.heap import keep_freed_memory
    from accord.serving.listener import raise_open_files, uvicorn_options

    if (short := raise_open_files(limits)) is not None:
        err.print(f"[yellow]Warning:[/] {escape(short)}")

    keep_freed_memory()  # before the workers start: they inherit it
    signals_reach_us()  # so that Ctrl-C and SIGTERM stop it, whoever started it
    listening = uvicorn_options(limits, tls) | {
        "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}
    if workers > 1:
        # Each worker process opens the database itself, from the environment.
        os.environ["ACCORD_DB"] = db
        if read_db:
            os.environ["ACCORD_READ_DB"] = read_db
        os.environ["ACCORD_TICK"] = str(every)
        # Each worker pulls; a lease on each peer (store.peers) lets one round at a time run.
        os.environ["ACCORD_SYNC_EVERY"] = str(pull)
        os.environ["ACCORD_RETRACT_EVERY"] = str(withdrawn)
        uvicorn.run("accord.app:create_app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", access_log=access_log, **listening)
    else:
        uvicorn.run(create_app(node, every or None, pull or None, withdrawn), host=host,
                    port=port, log_level="warning", access_log=access_log, **listening)


def _port_taken(host: str, port: int) -> str | None:
    """Why nothing could listen on host:port now (in use, no such address), or None."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"no such address ({error.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return "the port is in use (another `accord serve`?)"
            if error.errno == errno.EACCES:
                return "not allowed to listen on that port (below 1024 needs privileges)"
            return error.strerror or str(error)
    return None
