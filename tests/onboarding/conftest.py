"""A pharmacy asking to join the platform: the data it types, and its request."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from caducee.core.context import Context
from caducee.onboarding.models import ConnectionRequest
from caducee.onboarding.operations import RequestInput, submit_connection_request
from tests import factories

PHARMACY_FINESS = factories.finess(810001)


def pharmacy_input(**overrides: str) -> RequestInput:
    data = RequestInput(
        structure_name="Pharmacie du Centre",
        id_type="FINESS_EG",
        id_number=PHARMACY_FINESS,
        address="12 place du Vigan",
        postal_code="81000",
        city="Albi",
        department="81",
        region="",
        last_name="Martin",
        first_name="Claire",
        function="Pharmacienne titulaire",
        email="Contact@Pharmacie-Centre-Albi.fr",
        phone="05 63 00 00 00",
        expected_users="4",
        message="Nous souhaitons une boîte pour l'officine.",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def pharmacy_form(**overrides: str) -> dict[str, Any]:
    """The public form's POST data."""
    return asdict(pharmacy_input(**overrides))


def anonymous(ip: str = "203.0.113.7") -> Context:
    return Context(user=None, ip=ip, channel="web", label="anonyme")


@pytest.fixture
def pharmacy_request(db: None) -> ConnectionRequest:
    created = submit_connection_request(anonymous(), pharmacy_input())
    assert created is not None
    return created
