"""Property-based run over every operation in /openapi.json: no 5xx, and every response fits its own schema. The
writes (POST, PUT, PATCH, DELETE) carry an API key that may write and delete.

Driven through schemathesis's Python API (its pytest plugin does not yet run
under pytest 9): each operation's strategy, a bounded, derandomised number of
examples.
"""

from __future__ import annotations

from typing import Any

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
WRITE_EXAMPLES_PER_OPERATION = 15


def operations_of(client: TestClient, methods: tuple[str, ...]) -> list[Any]:
    """The app's operations with these methods, as schemathesis reads them from /openapi.json."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    return [op for op in operations if op.method.upper() in methods]


def check_operation(operation: Any, examples: int, headers: dict[str, str] | None = None) -> None:
    """Run `examples` derandomised cases of an operation and validate every answer."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
        case.call_and_validate(checks=CHECKS, headers=headers)

    check()


def test_every_get_endpoint_against_its_schema(client: TestClient) -> None:
    gets = operations_of(client, ("GET",))
    assert len(gets) >= 15  # six lists, six records, the card and the health checks
    for operation in gets:
        check_operation(operation, EXAMPLES_PER_OPERATION)


def test_every_write_endpoint_against_its_schema(client: TestClient, loaded_engine: sa.Engine) -> None:
    with loaded_engine.begin() as connection:
        _stored, key = create_key(connection, "schemathesis", ("write", "delete"))
    writes = [op for op in operations_of(client, ("POST", "PUT", "PATCH", "DELETE")) if op.path != "/v1/reconcile"]
    assert len(writes) >= 24  # four per record type (the reconciliation's POST is a read: its GET twin is above)
    for operation in writes:
        check_operation(operation, WRITE_EXAMPLES_PER_OPERATION, {"Authorization": f"Bearer {key}"})
