"""A parameter declaration parses its value and documents itself; a `Parameters` list refuses anything else."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.datastructures import QueryParams

from app.core.errors import BadParameter
from app.core.params import (
    CURSOR,
    FROM,
    TO,
    One,
    Parameters,
    choices,
    date_range,
    integer,
    page_limit,
    text,
    verbatim,
)

LIMIT = page_limit("things", default=10, maximum=20)
KIND = choices("kind", ("a", "b"), "Kinds (repeat for OR).", example="a")
Q = text("q", "Words.", blank=True)
ROOT = One(name="root", description="Where to start.", schema={"type": "string"}, required=True, once=True,
           missing="give the start, e.g. root=x", parse=verbatim)  # fmt: skip
DECLARED = Parameters(LIMIT, KIND, Q, ROOT, CURSOR)


def refusal(error: pytest.ExceptionInfo[BadParameter]) -> str:
    return error.value.detail


def test_one_value_parsed_with_a_default_and_the_last_one_counting() -> None:
    assert LIMIT.get(QueryParams("")) is None
    assert LIMIT.get(QueryParams(""), 10) == 10
    assert LIMIT.get(QueryParams("limit=3&limit=5")) == 5
    with pytest.raises(BadParameter) as error:
        LIMIT.get(QueryParams("limit=21"))
    assert refusal(error) == "limit: must be between 1 and 20"


def test_a_required_parameter_says_what_to_give_and_once_means_once() -> None:
    with pytest.raises(BadParameter) as error:
        ROOT.require(QueryParams(""))
    assert refusal(error) == "root: give the start, e.g. root=x"
    with pytest.raises(BadParameter) as error:
        ROOT.get(QueryParams("root=a&root=b"))
    assert refusal(error) == "root: give it once"


def test_many_values_repeated_or_comma_separated() -> None:
    assert KIND.get(QueryParams("kind=a,b&kind=a")) == ["a", "b", "a"]
    assert KIND.get(QueryParams("")) == []
    with pytest.raises(BadParameter) as error:
        KIND.get(QueryParams("kind=a,c"))
    assert refusal(error) == "kind: 'c' is not one of a, b"


def test_the_list_refuses_unknown_names_blank_values_and_unsafe_text() -> None:
    DECLARED.check(QueryParams("limit=2&q=&_=&pretty=true"))
    for query, detail in [
        ("limt=2", "limt: unknown parameter 'limt' — did you mean 'limit'?"),
        ("kind=", "kind: has no value: give one, or leave the parameter out"),
        ("pretty=", "pretty: has no value: give one, or leave the parameter out"),
        ("q=a%00b", "q: value contains a NUL character"),
        ("q=" + "x" * 1001, "q: value is too long (at most 1000 characters)"),
    ]:
        with pytest.raises(BadParameter) as error:
            DECLARED.check(QueryParams(query))
        assert refusal(error) == detail
        assert error.value.errors == [{"field": detail.split(":")[0], "message": detail.split(": ", 1)[1]}]
    with pytest.raises(ValueError, match="declared twice: limit"):
        Parameters(LIMIT, integer("limit", "Again.", minimum=0, maximum=1))


def test_a_date_range_reads_partial_dates_and_refuses_one_backwards() -> None:
    assert date_range(QueryParams("from=2018-07&to=2018-07")) == (dt.date(2018, 7, 1), dt.date(2018, 7, 31))
    assert date_range(QueryParams("to=2018")) == (None, dt.date(2018, 12, 31))
    with pytest.raises(BadParameter) as error:
        date_range(QueryParams("from=2019&to=2018"))
    assert refusal(error) == "to: is before `from`"


def test_each_declaration_documents_itself() -> None:
    assert DECLARED.names == ["limit", "kind", "q", "root", "cursor"]
    assert LIMIT.openapi() == {
        "name": "limit", "in": "query", "required": False,
        "description": "Things per page, 1 to 20 (default 10). CSV and NDJSON ignore it.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 20, "examples": [10]},
    }  # fmt: skip
    assert KIND.openapi()["schema"] == {"type": "array", "items": {"type": "string", "enum": ["a", "b"]},
                                        "examples": [["a"]]}  # fmt: skip
    assert "examples" not in CURSOR.openapi()["schema"]
    assert ROOT.openapi()["required"] is True
    own = FROM.described("Events on or after this date.", example="2019")
    assert (own.openapi()["description"], own.openapi()["schema"]["examples"]) == ("Events on or after this date.",
                                                                                   ["2019"])  # fmt: skip
    assert own.get(QueryParams("from=2019")) == FROM.get(QueryParams("from=2019")) == dt.date(2019, 1, 1)
    assert TO.get(QueryParams("to=2019-02")) == dt.date(2019, 2, 28)
