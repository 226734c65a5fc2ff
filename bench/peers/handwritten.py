"""The best this stack does for the list question: Starlette + sqlite3 + orjson, no framework in between.

    BENCH_DB=path.sqlite3 uvicorn --app-dir bench/peers handwritten:app

GET /statements?speaker=ID[&after=SAID_ON|ID] answers what techsov's
`/v1/statements?speaker=ID&sort=-said_on&limit=50` answers, with the same item
shape (references expanded to {id, type, name}, sources embedded, tags): one
keyset query on (speaker_id, said_on, id) plus one query per child list for
the whole page. GET /statements-rows?speaker=ID is the same page as bare rows
(one query: the floor). GET /statements/{id} is one item in the same shape.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

LIMIT = 50
COLUMNS = (
    "id, name, names, aliases, summary, notes, speaker_id, said_on, said_on_precision, occasion, kind, text, "
    "original_text, original_language, translated_by, reported_by_id, created_at, updated_at"
)
FIRST_PAGE = f"SELECT {COLUMNS} FROM statements WHERE speaker_id = ? ORDER BY said_on DESC, id DESC LIMIT {LIMIT + 1}"
NEXT_PAGE = (
    f"SELECT {COLUMNS} FROM statements WHERE speaker_id = ? AND (said_on, id) < (?, ?) "
    f"ORDER BY said_on DESC, id DESC LIMIT {LIMIT + 1}"
)
ONE = f"SELECT {COLUMNS} FROM statements WHERE id = ?"
MENTION_TYPES = ("actor", "policy", "statement", "hardware", "dependency", "source")
TABLES = {
    "actor": "actors",
    "policy": "policies",
    "statement": "statements",
    "hardware": "hardware",
    "dependency": "dependencies",
    "source": "sources",
}
SOURCE_COLUMNS = (
    "s.id, s.name, s.title, s.publisher_id, s.publisher_text, s.url, s.retrieved_from, s.published_on, "
    "s.published_on_precision, s.language, s.kind"
)
LENGTH = {"year": 4, "month": 7, "day": 10}

connection = sqlite3.connect(os.environ.get("BENCH_DB", "bench.sqlite3"), check_same_thread=False)
connection.row_factory = sqlite3.Row


def _partial(day: str | None, precision: str | None) -> str | None:
    return None if day is None else day[: LENGTH[precision or "day"]]


def _timestamp(stored: str) -> str:
    """`2026-11-28 19:09:41.064489` as techsov writes it: `2026-11-28T19:09:41.064489Z`."""
    return stored.replace(" ", "T") + "Z"


def _in(ids: list[str]) -> str:
    return ",".join("?" * len(ids))


def _children(ids: list[str]) -> dict[str, dict[str, list[Any]]]:
    """Tags, sources, mentions and policies of a page of statements, one query each."""
    marks = _in(ids)
    out: dict[str, dict[str, list[Any]]] = {
        i: {"tags": [], "sources": [], "mentions": [], "about_policies": []} for i in ids
    }
    for record_id, value in connection.execute(
        f"SELECT record_id, value FROM statements_tags WHERE record_id IN ({marks}) ORDER BY record_id, position", ids
    ):
        out[record_id]["tags"].append(value)
    for row in connection.execute(
        f"SELECT c.record_id, {SOURCE_COLUMNS} FROM statements_sources c JOIN sources s ON s.id = c.target_id "
        f"WHERE c.record_id IN ({marks}) ORDER BY c.record_id, c.position",
        ids,
    ):
        out[row[0]]["sources"].append(
            {
                "id": row["id"], "type": "source", "name": row["name"], "title": row["title"],
                "publisher": row["publisher_id"] or row["publisher_text"], "url": row["url"],
                "retrieved_from": row["retrieved_from"],
                "published_on": _partial(row["published_on"], row["published_on_precision"]),
                "language": row["language"], "kind": row["kind"],
            }
        )  # fmt: skip
    joins = " ".join(f"LEFT JOIN {TABLES[t]} t_{t} ON t_{t}.id = m.target_{t}_id" for t in MENTION_TYPES)
    pick_id = ", ".join(f"m.target_{t}_id" for t in MENTION_TYPES)
    pick_name = ", ".join(f"t_{t}.name" for t in MENTION_TYPES)
    pick_type = " ".join(f"WHEN m.target_{t}_id IS NOT NULL THEN '{t}'" for t in MENTION_TYPES)
    for record_id, target, kind, name in connection.execute(
        f"SELECT m.record_id, coalesce({pick_id}), CASE {pick_type} END, coalesce({pick_name}) "
        f"FROM statements_mentions m {joins} WHERE m.record_id IN ({marks}) ORDER BY m.record_id, m.position",
        ids,
    ):
        out[record_id]["mentions"].append({"id": target, "type": kind, "name": name})
    for record_id, target, name in connection.execute(
        f"SELECT c.record_id, p.id, p.name FROM statements_about_policies c JOIN policies p ON p.id = c.target_id "
        f"WHERE c.record_id IN ({marks}) ORDER BY c.record_id, c.position",
        ids,
    ):
        out[record_id]["about_policies"].append({"id": target, "type": "policy", "name": name})
    return out


def _items(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    if not rows:
        return []
    children = _children([row["id"] for row in rows])
    actor_ids = sorted(
        {row["speaker_id"] for row in rows} | {row["reported_by_id"] for row in rows if row["reported_by_id"]}
    )
    names = dict(
        connection.execute(f"SELECT id, name FROM actors WHERE id IN ({_in(actor_ids)})", actor_ids).fetchall()
    )

    def actor(actor_id: str | None) -> dict[str, str] | None:
        return None if actor_id is None else {"id": actor_id, "type": "actor", "name": names[actor_id]}

    items = []
    for row in rows:
        child = children[row["id"]]
        items.append(
            {
                "type": "statement", "id": row["id"], "name": row["name"], "names": orjson.loads(row["names"]),
                "aliases": orjson.loads(row["aliases"]), "summary": row["summary"], "tags": child["tags"],
                "notes": row["notes"], "sources": child["sources"], "speaker": actor(row["speaker_id"]),
                "said_on": _partial(row["said_on"], row["said_on_precision"]), "occasion": row["occasion"],
                "kind": row["kind"], "text": row["text"], "original_text": row["original_text"],
                "original_language": row["original_language"], "translated_by": row["translated_by"],
                "reported_by": actor(row["reported_by_id"]), "mentions": child["mentions"],
                "about_policies": child["about_policies"], "created_at": _timestamp(row["created_at"]),
                "updated_at": _timestamp(row["updated_at"]),
            }
        )  # fmt: skip
    return items


def _page(request: Request) -> tuple[list[sqlite3.Row], str | None]:
    speaker = request.query_params["speaker"]
    after = request.query_params.get("after")
    if after:
        said_on, _, last_id = after.partition("|")
        rows = connection.execute(NEXT_PAGE, (speaker, said_on, last_id)).fetchall()
    else:
        rows = connection.execute(FIRST_PAGE, (speaker,)).fetchall()
    following = None
    if len(rows) > LIMIT:
        rows = rows[:LIMIT]
        following = f"{rows[-1]['said_on']}|{rows[-1]['id']}"
    return rows, following


async def statements(request: Request) -> Response:
    """One page of one speaker's statements, newest first, items in techsov's shape."""
    rows, following = _page(request)
    return Response(orjson.dumps({"items": _items(rows), "next": following}), media_type="application/json")


async def statement_rows(request: Request) -> Response:
    """The same page as bare rows: one query."""
    rows, following = _page(request)
    return Response(orjson.dumps({"items": [dict(r) for r in rows], "next": following}), media_type="application/json")


async def statement(request: Request) -> Response:
    """One statement in techsov's item shape."""
    rows = connection.execute(ONE, (request.path_params["record_id"],)).fetchall()
    if not rows:
        return Response(b'{"detail":"not found"}', status_code=404, media_type="application/json")
    return Response(orjson.dumps(_items(rows)[0]), media_type="application/json")


app = Starlette(
    routes=[
        Route("/statements", statements),
        Route("/statements-rows", statement_rows),
        Route("/statements/{record_id}", statement),
    ]
)
