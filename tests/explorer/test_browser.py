"""The explorer in a real headless Chromium (Debian's, driven by Playwright) against a live `techsov serve` on the seed.

Each test loads pages as a reader would, through the browser: the search box, a reference followed, a facet
and the next page, the exposure date changed, the graph drawn. Console errors, failed requests and uncaught
exceptions fail the test. Screenshots go to $TECHSOV_SCREENSHOTS (docs/screenshots to refresh the README's) or
to a temporary directory. Skipped, saying why, when /usr/bin/chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium) to run these",
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    folder = os.environ.get("TECHSOV_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Reader:
    """A browser tab that records every console error, page error and failed request."""

    def __init__(self, page: Any, base: str, shots: Path) -> None:
        self.page = page
        self.base = base
        self.shots = shots
        self.problems: list[str] = []
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str, full_page: bool = False) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)


@pytest.fixture
def reader(browser: Any, live_server: str, shots: Path) -> Iterator[Reader]:
    context = browser.new_context(viewport={"width": 1200, "height": 820}, locale="en-GB")
    tab = Reader(context.new_page(), live_server, shots)
    yield tab
    context.close()
    assert tab.problems == [], tab.problems


def test_home_then_the_search_box_in_chinese_then_a_result(reader: Reader) -> None:
    page = reader.open("/")
    assert page.title().startswith("techsov")
    assert page.locator("h1").inner_text().startswith("techsov")
    reader.shot("home")
    page.get_by_label("Search every record, in any script").fill("习近平")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator("#hits-actor").is_visible()
    assert page.locator("mark").count() > 0
    reader.shot("search")
    page.locator("a[href='/actors/xi-jinping']").first.click()
    page.wait_for_url(re.compile(r"/actors/xi-jinping$"))
    assert page.locator("h1").inner_text() == "Xi Jinping"
    assert page.locator("dd[lang='zh-Hans']").inner_text() == "习近平"


def test_search_in_pinyin_from_the_header_box(reader: Reader) -> None:
    page = reader.open("/actors")
    page.locator("#site-q").fill("xi jinping")
    page.locator("header form[role=search] button").click()
    page.wait_for_url(re.compile(r"/search\?q=xi\+jinping"))
    assert page.locator("a[href='/actors/xi-jinping']").count() >= 1


def test_a_record_page_follow_a_reference_and_cite(reader: Reader) -> None:
    page = reader.open("/actors/huawei")
    assert page.title() == "Huawei · techsov"
    assert page.locator("meta[property='og:title']").get_attribute("content") == "Huawei"
    assert page.locator("ol.sources > li").count() >= 2
    citation = page.locator("#citation").inner_text()
    assert re.search(r"http://127\.0\.0\.1:\d+/actors/huawei$", citation), citation  # completed in the browser
    assert page.locator("button.copy").is_visible()
    reader.shot("record")
    page.locator("dl.facts a[href='/actors/china']").click()
    page.wait_for_url(re.compile(r"/actors/china$"))
    assert page.locator("h1").inner_text() == "China"


def test_a_list_facet_then_the_next_page(reader: Reader) -> None:
    page = reader.open("/actors?limit=20")
    page.locator(".facets a", has_text="company").first.click()
    page.wait_for_url(re.compile(r"kind=company"))
    assert page.locator("code", has_text="kind=company").is_visible()
    reader.shot("list")
    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"cursor="))
    assert page.locator("table.records tbody tr").count() == 20
    assert page.get_by_role("link", name="First page").is_visible()


def test_the_exposure_date_picker_changes_the_answer(reader: Reader) -> None:
    page = reader.open("/actors/deepseek/exposure?as_of=2023-10-16")
    exposed = page.locator("#exposed-h + article, section[aria-labelledby=exposed-h] article")
    before = exposed.count()
    assert page.locator("section[aria-labelledby=exposed-h] a[href='/policies/us-bis-rules-2023-10']").count() == 0
    page.get_by_label("On the day").fill("2023-11-17")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"as_of=2023-11-17"))
    assert page.locator("section[aria-labelledby=exposed-h] a[href='/policies/us-bis-rules-2023-10']").count() >= 1
    assert exposed.count() > before
    assert page.locator("ol.hops li").count() > 0
    reader.shot("exposure")


def test_the_graph_is_drawn_and_a_node_opens_its_record(reader: Reader) -> None:
    page = reader.open("/graph?root=actor:deepseek")
    page.wait_for_function("window.techsovGraph && window.techsovGraph.nodes().length > 0")
    assert page.locator("#cy").is_visible()
    assert page.locator("#cy canvas").count() > 0
    nodes = page.evaluate("window.techsovGraph.nodes().length")
    assert nodes == page.locator("section[aria-labelledby=nodes-h] li").count()
    reader.shot("graph")
    # Tapped after this evaluate returns: a navigation inside `evaluate` keeps it waiting.
    page.evaluate("setTimeout(function () { window.techsovGraph.getElementById('actor:china').emit('tap'); }, 0)")
    page.wait_for_url(re.compile(r"/actors/china$"), wait_until="domcontentloaded")


def test_the_timeline_by_year(reader: Reader) -> None:
    page = reader.open("/timeline?sort=-date&type=policy")
    assert page.locator("h2[id^=y]").count() >= 2
    page.get_by_label("order").select_option("date")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(re.compile(r"sort=date"))
    years = page.locator("h2[id^=y]").all_inner_texts()
    assert years == sorted(years)


def test_reading_works_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/dependencies/deepseek-r2-training-nvidia-ft-report")
    assert page.locator(".side-by-side .claim").count() == 2
    page.goto(live_server + "/graph?root=actor:deepseek&depth=1")
    assert page.locator("#cy").is_hidden()
    assert page.locator("table.edges tbody tr").count() > 0
    context.close()


def test_a_script_in_the_query_is_shown_as_text_and_never_runs(reader: Reader) -> None:
    page = reader.open("/search?q=%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E")
    assert page.evaluate("window.pwned === undefined")
    assert "<script>window.pwned=1</script>" in page.locator("main").inner_text()
    assert page.locator("#q").input_value() == "<script>window.pwned=1</script>"


def test_the_keyboard_reaches_the_content_first(reader: Reader) -> None:
    page = reader.open("/actors/huawei")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_print_hides_navigation(reader: Reader) -> None:
    page = reader.open("/actors/huawei")
    page.emulate_media(media="print")
    assert page.locator("header.site nav").is_hidden()
    assert page.locator("ol.sources .print-only").first.is_visible()


@pytest.fixture(scope="module", autouse=True)
def _chromium_is_runnable() -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not executable")
