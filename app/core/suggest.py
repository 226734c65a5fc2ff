"""Did-you-mean suggestions for typos in ids, enum values, field and parameter names."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process


def closest(value: str, choices: Iterable[str], cutoff: float = 60.0) -> str | None:
    """The choice most like `value`, or None when nothing is close enough."""
    match = process.extractOne(value, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return match[0] if match else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """` — did you mean 'x'?` or an empty string."""
    best = closest(value, choices)
    return f" — did you mean '{best}'?" if best else ""
