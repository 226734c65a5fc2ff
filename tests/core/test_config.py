"""The README's Configuration section documents every setting, and nothing that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def configuration_section() -> str:
    """The README's `## Configuration` section, up to the next section."""
    text = README.read_text("utf-8")
    start = text.index("\n## Configuration\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def documented_variables() -> set[str]:
    """Every variable the section's table names in its first column (a row may name several)."""
    names: set[str] = set()
    for line in configuration_section().splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_every_setting_is_documented_and_nothing_else() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    documented = documented_variables()
    assert len(settings) > 10
    assert sorted(settings - documented) == [], "settings missing from the README's Configuration section"
    assert sorted(documented - settings) == [], "the README documents settings that do not exist"


def test_every_setting_says_what_it_does() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name
