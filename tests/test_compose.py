"""compose.yaml starts PostgreSQL and the API, migrated and seeded on first start, with one `docker compose up`.

Docker cannot run where the tests run (no daemon, no compose plugin), so this checks the file's structure: it
parses, the services wait for each other in the right order, the API points at the database service, and the
one-shot service migrates and loads the seed with the commands the README documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).parents[1]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((ROOT / "compose.yaml").read_text("utf-8"))
    return data


def test_postgres_then_migrate_and_seed_then_the_api() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "api"}
    db, migrate, api = services["db"], services["migrate"], services["api"]
    assert re.fullmatch(r"postgres:\d+", db["image"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert api["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert migrate["command"][-1] == "techsov db upgrade && techsov seed load"
    assert migrate["restart"] == "no"
    assert api["command"][:2] == ["techsov", "serve"]
    assert "8000:8000" in api["ports"]
    for service in (migrate, api):  # one image, built from this repository's Dockerfile
        assert service["build"] == "."
        assert service["image"] == "techsov:local"
        url = service["environment"]["DATABASE_URL"]
        assert re.fullmatch(r"postgresql\+psycopg://techsov:\$\{POSTGRES_PASSWORD:-techsov\}@db:5432/techsov", url)
    assert (ROOT / "Dockerfile").is_file()


def test_the_database_outlives_its_container() -> None:
    document = compose()
    assert "pgdata" in document["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in document["services"]["db"]["volumes"]
    environment = document["services"]["db"]["environment"]
    assert environment["POSTGRES_DB"] == "techsov"
    assert environment["POSTGRES_USER"] == "techsov"
