import datetime as dt

import pytest

from app.core.dates import first_day, format_partial, normalise_partial_date, precision_of


@pytest.mark.parametrize(
    ("given", "text", "day", "precision"),
    [
        ("2017", "2017", dt.date(2017, 1, 1), "year"),
        (2017, "2017", dt.date(2017, 1, 1), "year"),
        ("2017-07", "2017-07", dt.date(2017, 7, 1), "month"),
        ("2017-07-20", "2017-07-20", dt.date(2017, 7, 20), "day"),
        (dt.date(2017, 7, 20), "2017-07-20", dt.date(2017, 7, 20), "day"),
    ],
)
def test_partial_dates_keep_their_precision_and_sort_as_their_first_day(
    given: object, text: str, day: dt.date, precision: str
) -> None:
    normalised = normalise_partial_date(given)
    assert normalised == text
    assert first_day(normalised) == day
    assert precision_of(normalised) == precision
    assert format_partial(day, precision) == text


@pytest.mark.parametrize(
    "bad", ["2019-02-30", "2017-13", "17-07-20", "2017/07/20", "", "2017-07-20T10:00", True, 3.5, None]
)
def test_bad_dates_are_refused_with_a_hint(bad: object) -> None:
    with pytest.raises(ValueError, match="date"):
        normalise_partial_date(bad)


def test_timestamps_are_not_dates() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        normalise_partial_date(dt.datetime(2017, 7, 20, 10, 0))
