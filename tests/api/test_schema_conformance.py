"""The live API answers what its OpenAPI schema says (schemathesis against the running server).

For every operation of `/api/v1/openapi.json`, a few generated requests (deterministic:
`derandomize`, no shrinking) are sent to the live server with an operator's bearer token,
over data with two structures and their accounts. Each answer must pass:

- not_a_server_error: never a 5xx;
- status_code_conformance: the status is one the route declares (`api.errors.responses`);
- content_type_conformance: the Content-Type is one declared for that status;
- response_schema_conformance: the body matches the declared schema.

Failures are reported per route tag. `KNOWN_FAILURES` names the operations that still fail,
with why: it is strict (a listed operation that passes fails the test), so it only shrinks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caducee.api.main import api
from caducee.core.context import cli_context
from caducee.directory.operations import assign_mssante_address
from caducee.people.models import User
from tests import factories
from tests.helpers import api_token

CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 4  # per operation: the whole module stays well under a minute

MISSING_STATUSES = "answers 404 (unknown id, format or mailbox) but declares only its success"
# "METHOD /path" → why it fails today. The helpers declaring these routes' statuses empty it.
KNOWN_FAILURES: dict[str, str] = {}


def _tags() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(
        {tag for path in schema["paths"].values() for op in path.values() for tag in op["tags"]}
    )


@pytest.fixture
def operator_data(transactional_db: None) -> tuple[User, dict[str, int]]:
    """An operator over two structures with a few accounts (one with a correspondence)."""
    operator = factories.make_operator()
    first = factories.make_structure("Centre hospitalier A", domain="ch-a.mssante.fr")
    second = factories.make_structure("Clinique B", domain="clinique-b.mssante.fr")
    per = factories.make_account(first, "PER")
    assign_mssante_address(cli_context(), per, None)
    factories.make_account(first, "ORG")
    factories.make_account(second, "PER")
    return operator, {"structure_id": first.pk, "account_id": per.pk}


def _failures(base_url: str, token: str, known_ids: dict[str, int]) -> dict[str, str]:
    """{"METHOD /path": its first failure} over every operation of the live schema."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        names = {p.name for p in operation.path_parameters}
        fixed = {name: value for name, value in known_ids.items() if name in names}
        _exercise(operation.as_strategy(path_parameters=fixed), label, base_url, headers, failures)
    return failures


def _exercise(
    strategy: Any, label: str, base_url: str, headers: dict[str, str], failures: dict[str, str]
) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is enough
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        if label in failures:
            return
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks: keep the first ones
            failures[label] = _describe(exc)

    run()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(_describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {str(exc).strip()[:600]}"


def test_the_live_api_conforms_to_its_schema(
    live_server: Any, operator_data: tuple[User, dict[str, int]]
) -> None:
    operator, known_ids = operator_data
    failures = _failures(live_server.url, api_token(operator), known_ids)
    report: list[str] = []
    for tag in _tags():
        labels = _labels(tag)
        for label in sorted(labels & set(failures) - set(KNOWN_FAILURES)):
            report.append(f"[{tag}] {label}\n{failures[label]}")
        for label in sorted(labels & set(KNOWN_FAILURES) - set(failures)):
            report.append(f"[{tag}] {label} conforms now: remove it from KNOWN_FAILURES")
    assert not report, "\n\n".join(report)


def _labels(tag: str) -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, op in operations.items()
        if tag in op.get("tags", [])
    }


def test_known_failures_name_existing_routes() -> None:
    every = {label for tag in _tags() for label in _labels(tag)}
    assert set(KNOWN_FAILURES) <= every


# Name → why two schemas still share it (strict: a name that became unique fails the test).
KNOWN_NAME_CLASHES: dict[str, str] = {}


def test_schema_names_are_unique() -> None:
    """Two response schemas with one class name share one OpenAPI component: the second
    silently replaces the first (the directory search was documented as a liaison entry)."""
    from ninja import Schema

    def every(cls: type[Any]) -> list[type[Any]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *every(sub))]

    where: dict[str, set[str]] = {}
    for cls in every(Schema):
        if cls.__module__.startswith("caducee."):
            where.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(places) for name, places in where.items() if len(places) > 1}
    assert set(clashes) == set(KNOWN_NAME_CLASHES), clashes
