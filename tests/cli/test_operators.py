"""What operators see: `techsov --version`, and no password in what `techsov serve` prints."""

from __future__ import annotations

from typer.testing import CliRunner

from app import __version__
from app.cli import app, masked


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"techsov {__version__}"


def test_database_urls_are_printed_without_their_password() -> None:
    assert masked("postgresql+psycopg://reader:s3cret@db.example:5432/techsov") == (
        "postgresql+psycopg://reader:***@db.example:5432/techsov"
    )
    assert masked("sqlite:////data/techsov.sqlite3") == "sqlite:////data/techsov.sqlite3"
    assert "s3cret" not in masked("postgresql://u:s3cret@")


def test_licence_file_and_data_volume() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    licence = (root / "LICENSE").read_text("utf-8")
    assert "MIT License" in licence
    assert "CC BY 4.0" in licence
    assert 'VOLUME ["/data"]' in (root / "Dockerfile").read_text("utf-8")
