"""Interactive API docs at /docs: Swagger UI from the installed swagger-ui-bundle-v2 package, so
the page loads nothing from another host (the trust's machines may have no internet)."""

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from app.auth.dependencies import Public
from app.core import assets
from app.core.errors import NotFound

router = APIRouter(tags=["docs"], include_in_schema=False)

ASSETS_URL = "/docs/assets"
_SWAGGER_UI = Path(str(swagger_ui_path))
# Only what the page uses: nothing else of the package (its demo page, source maps) is served.
_ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (_SWAGGER_UI / "swagger-ui.css", "text/css; charset=utf-8"),
    "index.css": (_SWAGGER_UI / "index.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": (_SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "favicon-32x32.png": (_SWAGGER_UI / "favicon-32x32.png", "image/png"),
    "swagger-init.js": (Path(__file__).with_name("swagger-init.js"), "text/javascript; charset=utf-8"),
}
# Swagger UI's own styles and icons come from this origin (its icons as data: URLs); it fetches
# /openapi.json and sends "Try it out" requests here too. Nothing inline, nothing from elsewhere.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
PAGE = f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Probity API</title>
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
<link rel="stylesheet" href="{ASSETS_URL}/index.css">
<link rel="icon" type="image/png" href="{ASSETS_URL}/favicon-32x32.png">
</head>
<body>
<noscript><p>The interactive docs need JavaScript; the spec itself is at
<a href="/openapi.json">/openapi.json</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_URL}/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(_: Public) -> HTMLResponse:
    """The API's interactive documentation; sign in with Authorize to try the protected operations."""
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_CSP})


@router.get(ASSETS_URL + "/{asset}")
async def api_docs_asset(_: Public, request: Request, asset: str) -> Response:
    """A file of the docs page; revalidated by ETag, since its name does not change between versions."""
    if asset not in _ASSETS:
        raise NotFound("asset")
    path, media_type = _ASSETS[asset]
    return assets.served(request, path, media_type)
