"""Schemathesis's command line, `--checks all` at its default settings, against a live `techsov serve` of its own
(its writes change the data) with an API key that may write and delete: every operation, every phase, for a
bounded time; it must find nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.live import REPOSITORY, SEED, serve

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).parent / "schemathesis.toml"
BUDGET_S = 30


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data, SEED) as base_url:
        made = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--name", "schemathesis", "--scope", "write,delete"],
            env={**os.environ, "TECHSOV_DATA_DIR": str(data), "TECHSOV_SEED_DIR": str(SEED)},
            cwd=REPOSITORY, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        key = made.stdout.strip().splitlines()[-1]
        finished = subprocess.run(
            [str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{base_url}/openapi.json",
             "--checks", "all", "--max-time", str(BUDGET_S), "--generation-database", "none",
             "-H", f"Authorization: Bearer {key}"],
            capture_output=True, text=True, timeout=BUDGET_S + 60, check=False, cwd=tmp_path,
        )  # fmt: skip
    report = finished.stdout[-6000:] + finished.stderr[-2000:]
    assert finished.returncode == 0, report
    selected = re.search(r"Selected: (\d+)/\d+", report)
    tested = re.search(r"Tested: (\d+)", report)
    assert selected, report
    assert tested, report
    assert int(tested.group(1)) == int(selected.group(1)) >= 40, report  # every operation, the writes among them
    assert "Authentication failed" not in report, report  # the writes were tried with the key, not only refused
    assert "No issues found" in report or "passed" in report, report
