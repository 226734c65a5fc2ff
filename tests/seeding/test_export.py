"""Export writes seed files that load back to the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import app
from app.records.registry import RECORD_TYPE_LIST
from app.records.repository import iter_records
from app.seeding.export import ExportFormat, export_dir
from app.seeding.run import check_dir, load_dir
from tests.conftest import VALID, empty_all_tables


def dataset(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every record of every type in its input shape."""
    with engine.connect() as connection:
        return {t.name: list(iter_records(connection, t)) for t in RECORD_TYPE_LIST}


@pytest.mark.parametrize("fmt", ["yaml", "ndjson"])
def test_export_round_trips(loaded_engine: sa.Engine, tmp_path: Path, fmt: ExportFormat) -> None:
    original = dataset(loaded_engine)
    counts = export_dir(loaded_engine, tmp_path / "out", fmt)
    assert counts == {t.name: len(original[t.name]) for t in RECORD_TYPE_LIST}
    assert check_dir(tmp_path / "out").errors == []

    empty_all_tables(loaded_engine)
    load_dir(loaded_engine, tmp_path / "out")
    assert dataset(loaded_engine) == original


def test_exported_records_equal_the_validated_seed(loaded_engine: sa.Engine) -> None:
    validated = check_dir(VALID).validated
    expected = {
        name: sorted((r.data for r in records), key=lambda d: d["id"]) for name, records in validated.records.items()
    }
    assert dataset(loaded_engine) == expected


def test_reloading_an_export_changes_nothing(loaded_engine: sa.Engine, tmp_path: Path) -> None:
    export_dir(loaded_engine, tmp_path / "out")
    report = load_dir(loaded_engine, tmp_path / "out")
    assert not report.changed


def test_export_cli(
    loaded_engine: sa.Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["export", "--to", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert "7 actor, 3 policy, 1 statement, 4 hardware, 2 dependency, 2 source written to" in result.stdout
    assert (tmp_path / "cli" / "actors.yaml").read_text("utf-8").startswith("- id: china\n")
