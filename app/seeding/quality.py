"""How citable the dataset is: the publishers' declared domains, the link checks and the quality figures.

The figures are computed from plain record dicts (canonical seed data, by
alias), so `seed validate` (from the files) and a load (from the database,
stored for the dataset card) count the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.state import dataset_state
from app.records.fields import ShortText
from app.records.registry import RECORD_TYPE_LIST, RecordType
from app.records.validation import explain
from app.seeding.reader import LineDict, LineList, SeedError, read_yaml

PUBLISHERS_FILE = "publishers.yaml"
IMPORTED_TAGS = frozenset({"epoch-ai"})
"""Tags that mark records made by an importer from a third-party dataset, not curated by hand."""
CHINA = "china"
TAIWAN = "taiwan"

Records = Mapping[str, Iterable[Mapping[str, Any]]]
"""Record dicts (canonical, by alias) by type name."""


def host_of(url: str) -> str:
    """`https://www.nvidia.com/x` -> `nvidia.com`: the host a link is on, without `www.`."""
    return (urlsplit(url if "//" in url else f"//{url}").hostname or "").removeprefix("www.")


def url_key(url: str) -> str:
    """An address compared without scheme, `www.`, fragment or trailing slash: two sources whose keys are equal
    cite one document (the validator's duplicate check, and the importer's reuse of a curated source)."""
    parts = urlsplit(url.strip())
    query = f"?{parts.query}" if parts.query else ""
    return f"{host_of(url.strip())}{parts.path.rstrip('/')}{query}"


class Domain(BaseModel):
    """A publisher's host, optionally with a path prefix for a publisher on a shared host."""

    model_config = ConfigDict(frozen=True)

    host: str
    path: str = ""

    @classmethod
    def parse(cls, text: str) -> Domain:
        """`gov.cn` or `github.com/deepseek-ai` (a scheme, if given, is ignored)."""
        return cls(host=host_of(text), path=urlsplit(text if "//" in text else f"//{text}").path.rstrip("/"))

    def covers(self, host: str, path: str) -> bool:
        """True when a URL with this host and path is at this domain (a subdomain counts)."""
        if host != self.host and not host.endswith(f".{self.host}"):
            return False
        return not self.path or path == self.path or path.startswith(f"{self.path}/")


class PublisherEntry(BaseModel):
    """One entry of seed/publishers.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    publisher: ShortText = Field(description="As the sources write it: an actor id or the name as text.")
    domains: list[ShortText] = Field(min_length=1)

    @field_validator("domains")
    @classmethod
    def _hosts(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if not Domain.parse(domain).host or " " in domain:
                raise ValueError(f"'{domain}' is not a host such as `gov.cn` or `github.com/deepseek-ai`")
        return domains


PublisherDomains = dict[str, tuple[Domain, ...]]


def read_publisher_domains(seed_dir: Path, errors: list[SeedError]) -> PublisherDomains:
    """The declared domains of each publisher (seed/publishers.yaml; none when the file is absent)."""
    path = seed_dir / PUBLISHERS_FILE
    if not path.is_file():
        return {}
    data = read_yaml(path, str(path), errors)
    if data is None:
        return {}
    if not isinstance(data, LineList):
        errors.append(SeedError(str(path), getattr(data, "line", 1), "(file)", "expected a list of publishers"))
        return {}
    domains: PublisherDomains = {}
    for item, line in zip(data, data.item_lines, strict=True):
        try:
            entry = PublisherEntry.model_validate(item)
        except ValidationError as exc:
            for problem in explain(PublisherEntry, exc):
                at = item.key_lines.get(problem.loc[0], line) if isinstance(item, LineDict) and problem.loc else line
                errors.append(SeedError(str(path), at, problem.field, problem.message))
            continue
        # Several entries for one publisher add up: editors append their own (the file merges as a union).
        domains[entry.publisher] = (*domains.get(entry.publisher, ()), *(Domain.parse(d) for d in entry.domains))
    return domains


def with_actor_websites(declared: PublisherDomains, actors: Iterable[Mapping[str, Any]]) -> PublisherDomains:
    """The declared domains plus each actor's own website, for sources that name the actor as publisher."""
    domains = dict(declared)
    for actor in actors:
        website = actor.get("website")
        if website:
            domains[actor["id"]] = (*domains.get(actor["id"], ()), Domain.parse(website))
    return domains


def at_publisher(source: Mapping[str, Any], domains: PublisherDomains) -> bool | None:
    """Whether a source's `url` is at its publisher's own site; None when that cannot be told."""
    url, publisher = source.get("url"), source.get("publisher")
    known = domains.get(publisher) if publisher else None
    if not url or not known:
        return None
    return any(domain.covers(host_of(url), urlsplit(url).path) for domain in known)


_SPACE = re.compile(r"\s+")


def _title_key(title: str) -> str:
    return _SPACE.sub(" ", title).strip().casefold()


@dataclass(frozen=True)
class SourceProblem:
    """A problem with one source record: an error (duplicate) or a warning (a link to a copy)."""

    source_id: str
    field: str
    message: str


def duplicate_sources(sources: Iterable[Mapping[str, Any]]) -> Iterator[SourceProblem]:
    """Two sources with the same url, or the same title unless their urls or dates tell them apart,
    are one document cited twice (the Federal Register has many rules called "Additions to the Entity
    List", each at its own address)."""
    by_url: dict[str, str] = {}
    by_title: dict[str, list[Mapping[str, Any]]] = {}
    for source in sources:
        url = source.get("url")
        if url:
            first = by_url.setdefault(url_key(url), source["id"])
            if first != source["id"]:
                yield _duplicate(source, "url", first)
        title = source.get("title")
        if not title:
            continue
        same_title = by_title.setdefault(_title_key(title), [])
        twin = next((other for other in same_title if not _told_apart(source, other)), None)
        if twin is not None:
            yield _duplicate(source, "title", twin["id"])
        same_title.append(source)


def _told_apart(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Two sources of the same title are different documents when both have urls, or dates, that differ."""
    keys: dict[str, Callable[[str], str]] = {"url": url_key, "published_on": str}
    return any(one.get(f) and other.get(f) and key(one[f]) != key(other[f]) for f, key in keys.items())


def _duplicate(source: Mapping[str, Any], field_name: str, first: str) -> SourceProblem:
    return SourceProblem(
        source["id"],
        field_name,
        f"the same {field_name} as source '{first}': merge the two into one source and cite it",
    )


def links_to_copies(sources: Iterable[Mapping[str, Any]], domains: PublisherDomains) -> Iterator[SourceProblem]:
    """Sources whose `url` is not on their publisher's declared domains."""
    for source in sources:
        if at_publisher(source, domains) is False:
            host = urlsplit(source["url"]).hostname
            yield SourceProblem(
                source["id"],
                "url",
                f"{host} is not a domain of the publisher '{source['publisher']}' (seed/{PUBLISHERS_FILE}): "
                "cite the original publisher's address and put a copy's in retrieved_from",
            )


def _supplied(title: str | None) -> bool:
    """A title in square brackets is ours, describing a document whose own title was not seen."""
    return title is not None and title.startswith("[") and title.endswith("]")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _china_based(actors: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Actor id -> the state it is based in (china or taiwan), following parents."""
    based: dict[str, str] = {}
    for actor_id in actors:
        node: str | None = actor_id
        seen: set[str] = set()
        while node is not None and node in actors and node not in seen:
            seen.add(node)
            actor = actors[node]
            country = node if actor.get("kind") == "state" else actor.get("country")
            if country in (CHINA, TAIWAN):
                based[actor_id] = country
                break
            node = actor.get("parent")
    return based


def quality_figures(records: Records, domains: PublisherDomains) -> dict[str, Any]:
    """The dataset's citability: sourcing, primary sources at the publisher's own site, Chinese names."""
    sources = {s["id"]: s for s in records.get("source", ())}
    actors = {a["id"]: a for a in records.get("actor", ())}
    domains = with_actor_websites(domains, actors.values())
    primary = {i for i, s in sources.items() if s.get("kind") == "primary"}
    on_site = {i for i in primary if at_publisher(sources[i], domains)}

    curated = Counter[str]()
    imported = 0
    sourced = with_primary = with_primary_on_site = 0
    quotes_only_secondary: list[str] = []
    for type_name, items in records.items():
        if type_name == "source":
            continue
        for record in items:
            if IMPORTED_TAGS.intersection(record.get("tags", ())):
                imported += 1
                continue
            curated[type_name] += 1
            cited = set(record.get("sources", ()))
            sourced += bool(cited)
            with_primary += bool(cited & primary)
            with_primary_on_site += bool(cited & on_site)
            if type_name == "statement" and not cited & primary:
                quotes_only_secondary.append(record["id"])
    total = sum(curated.values())

    based = _china_based(actors)
    curated_based = [i for i in based if not IMPORTED_TAGS.intersection(actors[i].get("tags", ()))]
    script = {CHINA: "zh-Hans", TAIWAN: "zh-Hant"}
    named = [i for i in curated_based if script[based[i]] in actors[i].get("names", {})]
    verdicts = [at_publisher(s, domains) for s in sources.values()]
    return {
        "curated_records": total,
        "imported_records": imported,
        "sourced": _share(sourced, total),
        "primary_sourced": _share(with_primary, total),
        "primary_sourced_at_publisher": _share(with_primary_on_site, total),
        "chinese_names": _share(len(named), len(curated_based)),
        "china_based_actors_without_chinese_name": sorted(set(curated_based) - set(named)),
        "sources": len(sources),
        "sources_without_title": sum(1 for s in sources.values() if not s.get("title")),
        "sources_with_supplied_title": sum(1 for s in sources.values() if _supplied(s.get("title"))),
        "sources_without_date": sum(1 for s in sources.values() if not s.get("published_on")),
        "sources_without_url": sum(1 for s in sources.values() if not s.get("url")),
        "source_urls_not_at_publisher": verdicts.count(False),
        "source_urls_with_undeclared_publisher": sum(
            1 for s, v in zip(sources.values(), verdicts, strict=True) if v is None and s.get("url")
        ),
        "quotations_with_only_secondary_sources": len(quotes_only_secondary),
    }


def _stored_records(connection: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """What the figures read of each stored record, shaped like its seed data."""
    records: dict[str, list[dict[str, Any]]] = {}
    for record_type in RECORD_TYPE_LIST:
        table = record_type.table
        wanted = [c for c in _FIGURE_FIELDS[record_type.name] if c in {f.alias for f in record_type.fields}]
        by_id: dict[str, dict[str, Any]] = {}
        columns = {alias: record_type.field(_field_name(record_type, alias)) for alias in wanted}
        plain = {a: f for a, f in columns.items() if not f.has_child_table}
        # The columns of the fields read, not the whole row: the rest (a statement's text, JSON decoded per row)
        # was most of the read.
        selected = [table.c.id, *(table.c[c.name] for f in plain.values() for c in f.columns(record_type.plural))]
        rows = connection.execute(sa.select(*dict.fromkeys(selected))).mappings()
        for row in rows:
            record: dict[str, Any] = {"id": row["id"]}
            for alias, stored in plain.items():
                value = stored.from_columns(row)
                if value not in (None, [], {}):
                    record[alias] = value
            by_id[row["id"]] = record
        for alias, stored in columns.items():
            if not stored.has_child_table:
                continue
            child = record_type.child_tables[stored.name]
            value_column = child.c.target_id if "target_id" in child.c else child.c.value
            query = sa.select(child.c.record_id, value_column).order_by(child.c.record_id, child.c.position)
            for record_id, value in connection.execute(query):
                by_id[record_id].setdefault(alias, []).append(value)
        records[record_type.name] = list(by_id.values())
    return records


def _field_name(record_type: RecordType, alias: str) -> str:
    return next(f.name for f in record_type.fields if f.alias == alias)


_FIGURE_FIELDS: dict[str, tuple[str, ...]] = {
    "actor": ("kind", "country", "parent", "website", "names", "tags", "sources"),
    "source": ("kind", "url", "publisher", "title", "published_on", "tags"),
}
_FIGURE_FIELDS.update({t.name: ("tags", "sources") for t in RECORD_TYPE_LIST if t.name not in _FIGURE_FIELDS})


def store_quality(
    connection: sa.Connection, domains: PublisherDomains, stored: Records | None = None
) -> dict[str, Any]:
    """Compute the figures from what is stored now (with the publishers' declared domains) and keep them
    for the dataset card, in the load's transaction. `stored`: every stored record, when the caller holds
    them all (a first load: what it wrote is all there is), so that nothing is read back."""
    figures = quality_figures(_stored_records(connection) if stored is None else stored, domains)
    connection.execute(dataset_state.update().values(quality=figures))
    return figures
