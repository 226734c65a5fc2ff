"""Jinja2 for the explorer: autoescape always on, the few filters the templates share, the base context.

Everything a template prints is escaped unless it is marked safe; the only
markup marked safe is the search snippets, which app/search/snippets.py builds
by escaping the record's text and adding `<mark>` around the matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.requests import Request

from app.records.registry import BY_NAME, RECORD_TYPE_LIST

TEMPLATES = Path(__file__).parent / "templates"

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    auto_reload=False,
)

LABELS = {
    "names": "Names",
    "said_on": "Said on",
    "url": "Link",
    "retrieved_from": "Read at",
    "depends_on": "Depends on",
    "alternative_to": "Alternative to",
    "about_policies": "About policies",
    "document_ids": "Document ids",
    "external_ids": "External ids",
    "successor_of": "Successor of",
    "original_text": "Original text",
    "original_language": "Original language",
    "translated_by": "Translated by",
    "reported_by": "Reported by",
    "process_node": "Process node",
    "year": "Year",
    "tag": "Tag",
}


def label(name: str) -> str:
    """A field name as a reader reads it: `effective_on` → `Effective on`."""
    return LABELS.get(name) or name.replace("_", " ").capitalize()


def words(value: Any) -> str:
    """An enumerated value as words: `in_force` → `in force`."""
    return str(value).replace("_", " ")


def page_href(ref: dict[str, Any]) -> str:
    """The explorer page of a record given as a reference (`{"type", "id"}`)."""
    return f"/{BY_NAME[ref['type']].plural}/{ref['id']}"


def html_href(api_href: str) -> str:
    """The explorer page of an API address: `/v1/policies?target=x` → `/policies?target=x`."""
    return api_href.removeprefix("/v1") or "/"


def is_ref(value: Any) -> bool:
    """True for a reference to a record (`{"id", "type", "name"}` with an id)."""
    return isinstance(value, dict) and value.get("id") is not None and value.get("type") in BY_NAME


def safe_url(url: Any) -> str | None:
    """The URL when it is http(s), else None (a `javascript:` link never becomes an href)."""
    if not isinstance(url, str):
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def share(value: float) -> str:
    """A share as a percentage: 0.5152 → `51.5%`."""
    return f"{value * 100:.1f}%"


def with_query(
    path: str,
    params: Iterable[tuple[str, str]],
    *,
    add: tuple[str, str] | None = None,
    remove: tuple[str, str] | None = None,
    set: dict[str, str | None] | None = None,
    drop: Iterable[str] = ("cursor",),
) -> str:
    """`path` with the current query changed: a value added or removed, names set or cleared, the cursor dropped."""
    dropped = {*drop, *(set or {})}
    kept = [(k, v) for k, v in params if k not in dropped and (k, v) != remove]
    if add is not None and add not in kept:
        kept.append(add)
    kept.extend((k, v) for k, v in (set or {}).items() if v is not None)
    return path + (f"?{urlencode(kept)}" if kept else "")


ENV.filters.update(label=label, words=words, page_href=page_href, html_href=html_href, safe_url=safe_url, share=share)
ENV.tests.update(ref=is_ref)
ENV.globals.update(with_query=with_query, record_types=RECORD_TYPE_LIST, by_name=BY_NAME)


def render(request: Request, template: str, context: dict[str, Any]) -> str:
    """A page: the template with the context every page shares (site title, this page's address, its query)."""
    settings = request.app.state.settings
    base_url = settings.techsov_base_url.rstrip("/")
    path = request.url.path
    query = request.url.query
    shared = {
        "site_title": settings.techsov_dataset_title,
        "path": path,
        "params": request.query_params.multi_items(),
        "canonical": f"{base_url}{path}{'?' + query if query else ''}" if base_url else None,
        "description": None,
        "twins": [],
    }
    return ENV.get_template(template).render({**shared, **context})
