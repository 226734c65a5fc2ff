"""Schemathesis's command line, `--checks all` at its default settings, against a live `techsov serve`: every
operation, every phase, for a bounded time; it must find nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).parent / "schemathesis.toml"
BUDGET_S = 30


def test_schemathesis_finds_nothing(live_server: str, tmp_path: Path) -> None:
    finished = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{live_server}/openapi.json",
         "--checks", "all", "--max-time", str(BUDGET_S), "--generation-database", "none"],
        capture_output=True, text=True, timeout=BUDGET_S + 60, check=False, cwd=tmp_path,
    )  # fmt: skip
    report = finished.stdout[-6000:] + finished.stderr[-2000:]
    assert finished.returncode == 0, report
    assert "Tested: 2" in report  # every operation (20-odd) was tested
    assert "No issues found" in report or "passed" in report, report
