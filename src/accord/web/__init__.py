"""The web UI for liaison officers, analysts and officials, served by `accord serve` at /ui/.

Server-rendered pages (Jinja2) over the same use cases as the command line and the REST API:
the cooperation desk, the review, the store's entitled reads. Forms work without JavaScript;
a small script (static/accord.js, shipped in the package, never fetched from elsewhere) adds
live countdowns, validation against the guidelines as you type, and evidence search.
"""
