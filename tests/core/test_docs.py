"""/docs and /redoc work without the internet: every script, stylesheet and icon they reference is served by
the app itself (from the files of the `fastapi-offline` package), none by a CDN."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient


class _Assets(HTMLParser):
    """The URLs a page loads: script src, link href (stylesheets, icons), img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.mark.parametrize(("page", "scripts"), [("/docs", 1), ("/redoc", 1)])
def test_docs_pages_load_every_asset_from_the_app(client: TestClient, page: str, scripts: int) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(response.text)
    assert len([u for u in parser.urls if u.endswith(".js")]) == scripts, parser.urls
    assert "http://" not in response.text
    assert "https://" not in response.text  # no CDN, no Google Fonts, no remote favicon
    for url in parser.urls:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"], url
        if url.endswith(".css"):
            assert asset.headers["content-type"].startswith("text/css"), url
    assert "/openapi.json" in response.text


def test_swagger_ui_has_its_stylesheet_and_bundle(client: TestClient) -> None:
    parser = _Assets()
    parser.feed(client.get("/docs").text)
    assert {u.rsplit("/", 1)[-1] for u in parser.urls} == {"swagger-ui.css", "swagger-ui-bundle.js", "favicon.png"}
    assert "SwaggerUIBundle" in client.get(next(u for u in parser.urls if u.endswith(".js"))).text
