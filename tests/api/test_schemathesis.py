"""Property-based run over every GET in /openapi.json: no 5xx, and every response fits its own schema.

Driven through schemathesis's Python API (its pytest plugin does not yet run
under pytest 9): each operation's strategy, a bounded, derandomised number of
examples.
"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Not `positive_data_acceptance`: a value can fit the schema and still be wrong
# (an unknown actor id, a forged cursor), and then a 400 that says so is right.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]

EXAMPLES_PER_OPERATION = 40


def test_every_get_endpoint_against_its_schema(client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    gets = [op for op in operations if op.method.upper() == "GET"]
    assert len(gets) >= 15  # six lists, six records, the card and the health checks

    for operation in gets:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(checks=CHECKS)

        check()
