"""The explorer's pages over HTTP on the real seed: content, twins, escaping, sizes, speed; and record citations."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.helpers import revalidates

PAGES = {
    "home": "/",
    "search": "/search?q=" + quote("习近平"),
    "list": "/actors",
    "record": "/actors/huawei",
    "timeline": "/timeline",
    "exposure": "/actors/deepseek/exposure?as_of=2023-11-17",
    "graph": "/graph?root=actor:deepseek",
}
PAGE_BUDGET = 200_000
"""Bytes a page may take on the wire with its stylesheet and scripts (gzip, as the app sends them)."""


class Assets(HTMLParser):
    """The stylesheets and scripts a page loads, and its <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.in_title = False
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet":
            self.urls.append(str(found["href"]))
        self.in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self.in_title = False


def page(site: TestClient, url: str, status: int = 200) -> str:
    response = site.get(url)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    text: str = response.text
    return text


@pytest.mark.parametrize("kind", list(PAGES))
def test_each_page_kind_renders_with_title_open_graph_and_twins(site: TestClient, kind: str) -> None:
    response = revalidates(site, PAGES[kind])
    html = response.text
    parser = Assets()
    parser.feed(html)
    assert parser.title.strip()
    assert '<meta property="og:title"' in html
    assert '<main id="main">' in html
    assert "<h1" in html
    assert "This page as data" in html
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "https://" not in " ".join(parser.urls), "assets come from the app, never a CDN"


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_page_weighs_over_200_kb_with_its_assets(site: TestClient, kind: str) -> None:
    html = page(site, PAGES[kind])
    parser = Assets()
    parser.feed(html)
    total = len(gzip.compress(html.encode(), 5))
    for url in parser.urls:
        asset = site.get(url)
        assert asset.status_code == 200, url
        total += len(gzip.compress(asset.content, 5))
    assert total < PAGE_BUDGET, f"{kind}: {total} bytes with {parser.urls}"


def test_the_graph_page_serves_cytoscape_and_its_licence_from_the_app(site: TestClient) -> None:
    html = page(site, PAGES["graph"])
    assert '<script src="/static/cytoscape.min.js"' in html
    assert 'id="graph-data" type="application/json"' in html or 'type="application/json" id="graph-data"' in html
    script = site.get("/static/cytoscape.min.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["content-encoding"] == "gzip"
    assert "Cytoscape Consortium" in site.get("/static/cytoscape.LICENSE").text


def test_home_gives_counts_licence_credits_quality_and_latest_changes(site: TestClient) -> None:
    card = site.get("/v1").json()
    html = page(site, "/")
    for plural, n in card["counts"].items():
        assert f"<strong>{n:,}</strong> {plural}" in html
    assert card["license"] in html
    assert "Epoch AI" in html
    assert "CC BY 4.0" in html
    assert f"{card['quality']['primary_sourced'] * 100:.1f}%" in html
    assert "Latest changes" in html
    assert 'class="action action-created"' in html
    assert 'role="search"' in html


@pytest.mark.parametrize("q", ["习近平", "xi jinping", "Xí Jìnpíng"])
def test_search_in_any_script_groups_hits_by_type(site: TestClient, q: str) -> None:
    html = page(site, "/search?q=" + quote(q))
    assert 'id="hits-actor"' in html
    assert '<a href="/actors/xi-jinping">Xi Jinping</a>' in html
    assert "<mark>" in html  # the API's snippet, rendered as markup


def test_a_search_that_finds_nothing_suggests(site: TestClient) -> None:
    html = page(site, "/search?q=huawie")
    assert "Nothing found" in html
    assert "Did you mean" in html


def test_list_shows_facets_as_links_sorting_and_keyset_pages(site: TestClient) -> None:
    html = page(site, "/actors?limit=20")
    assert 'href="/actors?limit=20&amp;kind=company"' in html
    assert 'href="/actors?limit=20&amp;sort=-name"' in html
    next_page = re.search(r'rel="next" href="([^"]+)"', html)
    assert next_page is not None
    second = page(site, next_page.group(1).replace("&amp;", "&"))
    assert "First page" in second
    filtered = page(site, "/actors?kind=company&country=china")
    assert "<code>kind=company</code>" in filtered
    assert "remove" in filtered
    json_twin = site.get("/v1/actors?kind=company&country=china&count=true").json()
    assert f"{json_twin['total']:,} actors match" in filtered
    assert 'href="/v1/actors?kind=company&amp;country=china&amp;format=csv"' in filtered


def test_record_page_names_facts_references_sources_and_citation(site: TestClient) -> None:
    html = page(site, "/actors/huawei")
    assert '<dd lang="zh-Hans">华为</dd>' in html
    assert '<a href="/actors/china">China</a>' in html  # a reference, as a link
    assert "What refers to it" in html
    assert '<a href="/hardware?maker=huawei">All ' in html
    sources = html[html.index('id="sources-h"') : html.index('id="refs-h"')]
    assert '<ol class="sources">' in sources
    assert "Addition of Huawei Non-U.S. Affiliates to the Entity List" in sources  # the title, verbatim
    assert 'read at <a href="https://docslib.org/' in sources  # a copy's address only as "read at"
    assert '<a href="/actors/huawei">Huawei</a>, <time datetime="2025-09-18">' in sources  # the publisher by name
    assert "Cite this" in html
    assert "Huawei [actor record]" in html
    assert 'href="/v1/actors/huawei?format=bibtex"' in html


def test_disputed_claims_stand_side_by_side_with_their_statuses(site: TestClient) -> None:
    html = page(site, "/dependencies/deepseek-r2-training-nvidia-ft-report")
    dispute = html[html.index('id="dispute-h"') :]
    assert dispute.count('class="claim"') == 2
    assert '<a href="/dependencies/deepseek-r2-training-ascend-910b-rumour">' in dispute
    assert "status-rumoured" in dispute


def test_statement_shows_its_original_words(site: TestClient) -> None:
    html = page(site, "/statements/xi-2025-04-25-self-reliance-beneficial-safe-fair")
    assert '<blockquote lang="zh-Hans"><p>要充分发挥新型举国体制优势' in html


def test_exposure_draws_each_chain_hop_by_hop_for_the_chosen_day(site: TestClient) -> None:
    before = page(site, "/actors/deepseek/exposure?as_of=2023-10-16")
    after = page(site, "/actors/deepseek/exposure?as_of=2023-11-17")
    assert 'value="2023-10-16"' in before
    assert 'type="date"' in before
    assert "/policies/us-bis-rules-2023-10" not in before.split('id="nif-h"')[0]
    assert '<a href="/policies/us-bis-rules-2023-10">' in after
    assert '<ol class="hops">' in after
    assert "/dependencies/" in after


def test_timeline_groups_events_by_year_and_filters(site: TestClient) -> None:
    html = page(site, "/timeline?type=policy&sort=-date")
    assert re.search(r'<h2 id="y20\d\d">20\d\d</h2>', html)
    assert "policy.effective" in html
    assert 'href="/v1/timeline?type=policy&amp;sort=-date&amp;format=csv"' in html


def test_graph_page_lists_records_and_links_without_script(site: TestClient) -> None:
    html = page(site, "/graph?root=actor:deepseek&depth=1")
    assert '<a href="/actors/china">China</a>' in html
    assert '<table class="edges">' in html
    assert page(site, "/graph").count("/graph?root=") >= 3  # no root yet: examples to start from


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/actors/no-such-actor", 404, "no actor with id"),
        ("/actors?kind=compnay", 400, "company"),
        ("/actors?colour=red", 400, "colour"),
        ("/actors/deepseek/exposure?as_of=yesterday", 400, "as_of"),
        ("/graph?root=nothing", 400, "root"),
        ("/timeline?from=2025&to=2020", 400, "to"),
    ],
)
def test_errors_are_pages_that_say_what_is_wrong(site: TestClient, url: str, status: int, says: str) -> None:
    html = page(site, url, status)
    assert 'role="alert"' in html
    assert says in html


XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
XSS_URLS = [
    "/?x={}",
    "/search?q={}",
    "/search?q=huawei&type={}",
    "/search?q=huawei&cursor={}",
    "/actors?q={}",
    "/actors?kind={}",
    "/actors?country={}",
    "/actors?tag={}",
    "/actors?sort={}",
    "/actors?cursor={}",
    "/actors?{}=1",
    "/policies?from={}",
    "/statements?speaker={}",
    "/actors/huawei?x={}",
    "/actors/deepseek/exposure?as_of={}",
    "/timeline?actor={}",
    "/timeline?kind={}",
    "/timeline?from={}",
    "/graph?root={}",
    "/graph?root=actor:{}",
    "/graph?root=actor:deepseek&depth={}",
    "/graph?root=actor:deepseek&edges={}",
]


PATH_XSS = "\"'><img src=x onerror=alert(1)>"
"""A path segment cannot hold `/` (it would be another path), so the probe in a path has none."""


@pytest.mark.parametrize("template", ["/actors/{}", "/actors/{}/exposure", "/hardware/{}"])
def test_a_probe_in_a_path_renders_as_text(site: TestClient, template: str) -> None:
    response = site.get(template.format(quote(PATH_XSS, safe="")))
    assert response.status_code == 404
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


@pytest.mark.parametrize("template", XSS_URLS)
def test_a_probe_in_every_parameter_renders_as_text(site: TestClient, template: str) -> None:
    response = site.get(template.format(quote(XSS, safe="")))
    assert response.status_code in (200, 400, 404), response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    if "alert(1)" in body:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "&lt;img src=x" in body


def test_the_search_box_shows_a_script_query_as_text(site: TestClient) -> None:
    html = page(site, "/search?q=" + quote("<script>alert(1)</script>"))
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "<q>&lt;script&gt;alert(1)&lt;/script&gt;</q>" in html


def test_html_routes_stay_out_of_the_openapi_document(site: TestClient) -> None:
    paths = site.get("/openapi.json").json()["paths"]
    assert "/actors" not in paths
    assert "/search" not in paths
    assert "/v1/actors" in paths


def test_every_page_answers_head(site: TestClient) -> None:
    assert site.head("/actors/huawei").status_code == 200


def test_a_form_s_empty_fields_are_dropped_from_the_address(site: TestClient) -> None:
    response = site.get("/timeline?from=&to=&actor=&type=policy&sort=date", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/timeline?type=policy&sort=date"
    assert site.get("/search?q=", follow_redirects=False).headers["location"] == "/search"
