"""The reliability suite's figures (loads raced, reads made, errors), printed in pytest's terminal summary."""

from __future__ import annotations

from collections import Counter

import pytest

FIGURES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name in ("loads raced", "reads made", "errors"):
            terminalreporter.write_line(f"{name}: {FIGURES[name]}")
        for name in sorted(set(FIGURES) - {"loads raced", "reads made", "errors"}):
            terminalreporter.write_line(f"{name}: {FIGURES[name]}")
