"""The directory pages in Chromium: search-as-you-type and the blue « + » of the console."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.directory.helpers import listed_account


@pytest.mark.browser
def test_search_as_you_type(
    live_server: Any,
    page: Any,
    structure_a: Structure,
    alice: User,
) -> None:
    listed_account(structure_a, last_name="VASSEUR", first_name="Agnès", city="TOULON")
    listed_account(structure_a, last_name="NOEL", first_name="Marc", city="BREST")
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(live_server.url + reverse("directory:search"))
    assert "VASSEUR Agnès" in page.content() and "NOEL Marc" in page.content()
    page.fill("#q", "toul")
    # a locator assertion, not wait_for_function: the page's CSP forbids evaluating strings
    expect(page.locator("#results")).not_to_contain_text("NOEL")
    results = page.inner_text("#results")
    assert "VASSEUR Agnès" in results and "1 résultat" in results


@pytest.mark.browser
def test_blue_plus_creates_the_correspondence(
    live_server: Any,
    page: Any,
    structure_a: Structure,
    alice: User,
) -> None:
    account = factories.make_account(structure_a, "PER", first_name="Rémi", last_name="CARPENTIER")
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(live_server.url + reverse("directory:correspondences", args=[structure_a.pk]))
    page.click(f"a.mssante-add[href*='/comptes/{account.pk}/']")
    page.click("text=Créer la correspondance")
    page.wait_for_selector("#mssante-address")
    assert page.inner_text("#mssante-address") == "remi.carpentier@ch-a.mssante.fr"
    page.fill("#particle", "<script>")
    page.click("text=Modifier la correspondance")
    assert "Adresse MSSanté refusée" in page.inner_text("[role=alert]")


@pytest.mark.browser
def test_push_shows_queued_then_its_result(
    live_server: Any,
    page: Any,
    structure_a: Structure,
    alice: User,
) -> None:
    from django.test import override_settings

    from caducee.core.context import cli_context
    from caducee.directory.operations import assign_mssante_address
    from tests.directory.fhir_sink import running_sink
    from tests.task_queue import run_ready_tasks

    assign_mssante_address(cli_context(), listed_account(structure_a), None)
    with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        login(page, live_server.url, alice.email, PASSWORD)
        page.goto(live_server.url + reverse("directory:push", args=[structure_a.pk]))
        page.click("text=Publier maintenant")
        expect(page.locator("#push-requests")).to_contain_text("En file d'attente")
        assert run_ready_tasks() == 1  # what the worker thread of `caducee serve` does
        # htmx polls the list while a push is pending: the result shows without a reload.
        expect(page.locator("#push-requests")).to_contain_text("Envoyée (HTTP 200) : 1 ajout(s)")
    assert len(sink.accepted) == 1
