"""Assertions every HTTP test makes the same way: an RFC 9457 problem, a bad parameter named in the house
form, an ETag that answers `If-None-Match` with a 304."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an error response, its status and media type checked, nothing of the
    server's insides (a traceback, SQL) in it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in response.text
    assert "SELECT" not in response.text.upper()
    return body


def bad_parameter(response: httpx.Response, field: str, words: str = "") -> dict[str, Any]:
    """A 400 in the house form: `errors` names `field`, `detail` reads `<field>: <what is wrong>`, and holds `words`."""
    body = problem(response, 400)
    assert body["type"] == "urn:techsov:problem:bad-parameter"
    assert [error["field"] for error in body["errors"]] == [field], body
    assert body["detail"] == f"{field}: {body['errors'][0]['message']}"
    assert words in body["detail"], body["detail"]
    return body


def revalidates(client: TestClient, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """GET `url`: a 200 with an ETag (weak for a list, strong for a record); again with `If-None-Match`: a 304
    with the same ETag and no body. The first response."""
    first: httpx.Response = client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith(('W/"', '"'))
    again = client.get(url, headers={**(headers or {}), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""
    return first


def walk(client: TestClient, url: str) -> list[dict[str, Any]]:
    """Every page of a list, first to last, following each `Link: <…>; rel="next"`: it must carry the page's
    `next_cursor`, and the last page has none."""
    pages: list[dict[str, Any]] = []
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            return pages
        link = response.headers["link"]
        assert link.startswith("</v1/"), link
        assert link.endswith('>; rel="next"'), link
        url = link[1 : link.index(">")]
        assert f"cursor={cursor}" in url
