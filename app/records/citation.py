"""How to cite one record: CSL-JSON (Zotero, Pandoc, citeproc), BibTeX, and a line of plain text.

A record is cited as an entry of the dataset: its name, what kind of record it
is, the dataset's title and version, the year the record last changed, and the
address of its page in the explorer (`/actors/huawei`), made absolute with the
configured base URL; without one it stays relative (never taken from the
request's Host header), and the explorer page completes it in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.core.config import Settings
from app.core.dates import utc
from app.core.state import current_version
from app.records.registry import BY_NAME, RecordType

CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
BIBTEX_MEDIA_TYPE = "application/x-bibtex; charset=utf-8"
CITATION_FORMATS = ("csl", "bibtex")


@dataclass(frozen=True)
class Citation:
    """What every citation format is made from."""

    key: str
    """`techsov-actor-huawei`: the citation key, ASCII letters, digits and `-`."""
    title: str
    record_kind: str
    """`actor record`."""
    author: str
    container: str
    version: int
    updated: str | None
    """The day the record last changed, `YYYY-MM-DD`."""
    url: str

    def csl_json(self) -> list[dict[str, Any]]:
        """CSL-JSON: a list of one item of type `dataset`."""
        return csl_json(self)

    def bibtex(self) -> str:
        """One BibTeX `@misc` entry."""
        return bibtex(self)

    def plain_text(self) -> str:
        """One line of text."""
        return plain_text(self)


def record_citation(
    connection: sa.Connection, record_type: RecordType, record_id: str, settings: Settings
) -> Citation | None:
    """The citation of one stored record at the current dataset version; None when there is no such record."""
    table = record_type.table
    row = connection.execute(
        sa.select(table.c.id, table.c.name, table.c.updated_at).where(table.c.id == record_id)
    ).first()
    if row is None:
        return None
    record = {"type": record_type.name, "id": row.id, "name": row.name, "updated_at": utc(row.updated_at)}
    return citation_for(
        record,
        version=current_version(connection)[0],
        title=settings.techsov_dataset_title,
        attribution=settings.techsov_dataset_attribution,
        base_url=settings.techsov_base_url,
    )


def citation_for(record: dict[str, Any], *, version: int, title: str, attribution: str, base_url: str) -> Citation:
    """The citation of a record as the API shows it (`record_detail`), at a dataset version.

    The author is the attribution's first clause (`techsov contributors; each record …` → `techsov contributors`).
    """
    record_type = BY_NAME[record["type"]]
    updated = record.get("updated_at")
    return Citation(
        key=re.sub(r"[^A-Za-z0-9-]+", "-", f"techsov-{record['type']}-{record['id']}"),
        title=str(record.get("name") or record["id"]),
        record_kind=f"{record_type.name} record",
        author=attribution.split(";")[0].strip() or "techsov",
        container=title,
        version=version,
        updated=str(updated)[:10] if updated else None,
        url=f"{base_url.rstrip('/')}/{record_type.plural}/{record['id']}",
    )


def csl_json(citation: Citation) -> list[dict[str, Any]]:
    """CSL-JSON: a list of one item of type `dataset`."""
    item: dict[str, Any] = {
        "id": citation.key,
        "type": "dataset",
        "title": citation.title,
        "genre": citation.record_kind,
        "author": [{"literal": citation.author}],
        "container-title": citation.container,
        "version": str(citation.version),
        "URL": citation.url,
    }
    if citation.updated:
        item["issued"] = {"date-parts": [[int(part) for part in citation.updated.split("-")]]}
    return [item]


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def bibtex_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field (UTF-8 is left as is: biber and modern BibTeX read it)."""
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in text.replace("\r", " ").replace("\n", " "))


def bibtex(citation: Citation) -> str:
    """One `@misc` entry; the URL in `url` (not escaped: the url package reads it verbatim)."""
    fields = [
        ("title", "{" + bibtex_escape(citation.title) + "}"),
        ("author", "{" + bibtex_escape(citation.author) + "}"),
        ("howpublished", bibtex_escape(f"{citation.container}, dataset version {citation.version}")),
        ("note", bibtex_escape(citation.record_kind)),
    ]
    if citation.updated:
        year, _, rest = citation.updated.partition("-")
        fields.append(("year", year))
        if rest:
            fields.append(("date", citation.updated))
    fields.append(("url", citation.url.replace("{", "%7B").replace("}", "%7D")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation.key},\n{body}\n}}\n"


def plain_text(citation: Citation) -> str:
    """One line to paste into an article's notes."""
    year = f" ({citation.updated[:4]})" if citation.updated else ""
    updated = f", last changed {citation.updated}" if citation.updated else ""
    return (
        f"{citation.author}{year}. {citation.title} [{citation.record_kind}]. {citation.container}, "
        f"dataset version {citation.version}{updated}. {citation.url}"
    )
