"""Property-based run over every operation in /openapi.json: no 5xx, and every response fits its own schema. The
writes (POST, PUT, PATCH, DELETE) carry an API key that may write and delete.

Driven through schemathesis's Python API (its pytest plugin does not yet run
under pytest 9): each operation's strategy, a bounded, derandomised number of
examples.
"""

from __future__ import annotations

import schemathesis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth.keys import create_key

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


WRITE_EXAMPLES_PER_OPERATION = 15


def test_every_write_endpoint_against_its_schema(client: TestClient, loaded_engine: sa.Engine) -> None:
    with loaded_engine.begin() as connection:
        _stored, key = create_key(connection, "schemathesis", ("write", "delete"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    writes = [op for op in operations if op.method.upper() in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(writes) >= 24  # four per record type

    for operation in writes:
        if operation.path == "/v1/reconcile":
            continue  # a read sent as a form (the GET twin is covered above)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=WRITE_EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {key}"})

        check()
