"""/docs: interactive API docs whose every asset comes from this service (the trust's machines
may have no internet), under a Content-Security-Policy that allows nothing inline."""

import re
from urllib.parse import urlsplit

from httpx import AsyncClient

from app.apidocs.router import ASSETS_URL

PROBLEM_JSON = "application/problem+json"


def policy(header: str) -> dict[str, set[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in directives}


def linked_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


class TestThePage:
    async def test_docs_is_an_html_page_with_its_own_strict_policy(self, client: AsyncClient) -> None:
        response = await client.get("/docs")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        csp = policy(response.headers["content-security-policy"])
        assert csp["default-src"] == {"'none'"} and csp["frame-ancestors"] == {"'none'"}
        for directive in ("script-src", "style-src", "connect-src"):
            assert csp[directive] == {"'self'"}, directive
        assert csp["img-src"] == {"'self'", "data:"}  # Swagger UI's icons are data: URLs in its CSS
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_nothing_is_inline_and_no_url_points_to_another_host(self, client: AsyncClient) -> None:
        page = (await client.get("/docs")).text
        assert "<script>" not in page and "<style" not in page and "style=" not in page
        urls = linked_urls(page)
        assert len(urls) >= 5
        for url in urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc and url.startswith("/"), url

    async def test_every_asset_the_page_names_answers(self, client: AsyncClient) -> None:
        urls = [url for url in linked_urls((await client.get("/docs")).text) if url.startswith(ASSETS_URL)]
        kinds = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
        assert {url.rsplit(".", 1)[-1] for url in urls} == {"css", "js", "png"}
        for url in urls:
            response = await client.get(url)
            assert response.status_code == 200, url
            expected = next(kind for ending, kind in kinds.items() if url.endswith(ending))
            assert response.headers["content-type"].startswith(expected), url
            assert len(response.content) > 100, url

    async def test_swagger_ui_reads_this_services_spec_and_no_validator_elsewhere(
        self, client: AsyncClient
    ) -> None:
        script = (await client.get(f"{ASSETS_URL}/swagger-init.js")).text
        assert 'url: "/openapi.json"' in script and "validatorUrl: null" in script
        assert "http://" not in script and "https://" not in script
        assert (await client.get("/openapi.json")).status_code == 200

    async def test_docs_are_not_in_the_api_spec(self, client: AsyncClient) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert not [path for path in paths if path.startswith("/docs")]


class TestAssets:
    async def test_only_the_pages_own_files_are_served(self, client: AsyncClient) -> None:
        for name in ("index.html", "swagger-ui-bundle.js.map", "oauth2-redirect.html", "..%2f__init__.py"):
            response = await client.get(f"{ASSETS_URL}/{name}")
            assert response.status_code == 404, name
            assert response.headers["content-type"] == PROBLEM_JSON

    async def test_an_unchanged_asset_is_a_304(self, client: AsyncClient) -> None:
        first = await client.get(f"{ASSETS_URL}/swagger-ui-bundle.js")
        assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
        again = await client.get(
            f"{ASSETS_URL}/swagger-ui-bundle.js", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        changed = await client.get(f"{ASSETS_URL}/swagger-ui-bundle.js", headers={"If-None-Match": '"old"'})
        assert changed.status_code == 200 and changed.content == first.content
