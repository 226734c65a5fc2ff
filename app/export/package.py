"""The Frictionless data package (https://specs.frictionlessdata.io/data-package/) that describes the export's
CSVs: one tabular resource per record type, with each column's type, and the licences the data is under."""

from __future__ import annotations

from typing import Any

from app.core.config import Settings
from app.records.flat import csv_columns
from app.records.registry import DEPENDENCY, RECORD_TYPE_LIST, RecordType
from app.records.storage import LIST_SEPARATOR, StoredField

LICENSE_PATHS = {"CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/"}


def _described(stored: StoredField, model_fields: dict[str, Any]) -> str:
    info = model_fields.get(stored.name)
    return (info.description or "") if info is not None else ""


def table_schema(record_type: RecordType) -> dict[str, Any]:
    """The Table Schema of a type's CSV: the same columns, in the same order, as `GET /v1/<plural>?format=csv`."""
    model_fields = dict(record_type.model.model_fields)
    by_alias = {f.alias: f for f in record_type.fields}
    fields: list[dict[str, Any]] = []
    for name in csv_columns(record_type):
        if name == "type":
            only = {"required": True, "enum": [record_type.name]}
            fields.append({"name": "type", "type": "string", "constraints": only})
        elif name == "id":
            fields.append({"name": "id", "type": "string", "description": "The record's id, stable and never reused.",
                           "constraints": {"required": True, "unique": True}})  # fmt: skip
        elif name in ("created_at", "updated_at"):
            fields.append({"name": name, "type": "datetime", "description": "When the API's database first stored "
                           "(last changed) the record, in UTC."})  # fmt: skip
        elif record_type is DEPENDENCY and name == "disputed":
            fields.append({"name": name, "type": "boolean", "description": "Another record disputes this one."})
        elif record_type is DEPENDENCY and name == "disputed_by":
            fields.append({"name": name, "type": "string", "description": f"Ids of the disputing records, joined "
                           f"with `{LIST_SEPARATOR}`."})  # fmt: skip
        else:
            stored = by_alias[name]
            fields.append(stored.table_field(_described(stored, model_fields)))
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


def _license(name: str, title: str) -> dict[str, str]:
    found = {"name": name, "title": title}
    if name in LICENSE_PATHS:
        found["path"] = LICENSE_PATHS[name]
    return found


DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True}


def descriptor(
    settings: Settings, version: int, last_change: str | None, credits: list[dict[str, str]]
) -> dict[str, Any]:
    """`datapackage.json` of the export at this dataset version."""
    package: dict[str, Any] = {
        "name": "techsov",
        "title": settings.techsov_dataset_title,
        "description": "Actors, policies, statements, hardware, dependencies and sources in the geopolitics of AI "
        "technological autonomy; every record cites its sources. One CSV per record type, as the API's lists give "
        "them (`GET /v1/<type>?format=csv`): references are ids, lists are joined with `;`.",
        "version": f"{version}.0.0",
        "licenses": [
            _license(settings.techsov_dataset_license, f"The curated data: {settings.techsov_dataset_attribution}"),
            *(_license(c["license"].replace(" ", "-"), f"{c['name']}: records tagged {c['records']}") for c in credits),
        ],
        "sources": [{"title": c["name"], "path": c["url"]} for c in credits],
        "contributors": [{"title": settings.techsov_dataset_attribution, "role": "author"}],
        "resources": [
            {
                "name": t.plural,
                "path": f"{t.plural}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": DIALECT,
                "schema": table_schema(t),
            }
            for t in RECORD_TYPE_LIST
        ],
    }
    if last_change:
        package["created"] = last_change
    return package
