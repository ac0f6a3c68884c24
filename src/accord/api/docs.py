"""The REST API's documentation page, served whole from the installed packages: Swagger UI's
assets come from the `swagger-ui-bundle-v2` package, its start-up script from this one. Nothing
is loaded from a CDN (a node on an isolated network shows its docs all the same), and a strict
Content-Security-Policy lets the page run only scripts and styles this node serves."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

# No inline script or style, nothing from elsewhere, no framing, no form posting anywhere.
# data: images are Swagger UI's icons, drawn in its stylesheet.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
           "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}

# What the page loads, by the name it asks for: nothing else of either package is served.
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": Path(str(swagger_ui_path / "swagger-ui-bundle.js")),
    "swagger-ui.css": Path(str(swagger_ui_path / "swagger-ui.css")),
    "index.css": Path(str(swagger_ui_path / "index.css")),
    "favicon-32x32.png": Path(str(swagger_ui_path / "favicon-32x32.png")),
    "docs.js": Path(str(files("accord.api") / "static" / "docs.js")),
}

# Relative links: the page works wherever the API is mounted (and behind a path prefix).
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Accord REST API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="stylesheet" href="docs/assets/index.css">
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/docs.js"></script>
</body>
</html>
"""


def add_docs_routes(api: FastAPI) -> None:
    @api.get("/docs", include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE, headers=HEADERS)

    @api.get("/docs/assets/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        path = ASSETS.get(name)
        if path is None:
            raise HTTPException(404, f"no asset {name!r} for the documentation page")
        return FileResponse(path, headers={"X-Content-Type-Options": "nosniff",
                                           "Cache-Control": "public, max-age=86400"})
