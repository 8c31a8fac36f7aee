"""The webmail on a phone (issue #18 point 5): Chromium at 390x844 (an iPhone 12-14's
CSS viewport), touch, mobile mode. Folder list, message list, reading and compose must
be usable and no page may scroll sideways; the web app manifest and its icons are served
as a browser installs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.accounts.operations import mark_finalised
from caducee.mail.models import Message
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}
LONG_LINK = "https://dossier.example.org/" + "compte-rendu-" * 12 + "final.pdf"


@pytest.fixture(autouse=True)
def mail_store(settings: Any, tmp_path: Path) -> None:
    settings.MAIL_ROOT = tmp_path / "mail"


def person(structure: Structure, particle: str) -> Account:
    account = factories.make_account(
        structure, "PER", email=f"{particle}@perso.example.org", mssante_particle=particle
    )
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    mark_finalised(account)
    return account


def phone(browser: Any) -> Any:
    context = browser.new_context(
        locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3
    )
    context.set_default_timeout(15_000)
    return context


def fits(tab: Any) -> None:
    """The page is no wider than the phone: nothing to scroll sideways."""
    width, inner = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE["width"] and width <= inner, (tab.url, width, inner)


def visible_in_width(tab: Any, selector: str) -> None:
    box = tab.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (selector, box)


@pytest.mark.browser
def test_webmail_on_a_phone(live_server: Any, browser: Any, structure_a: Structure) -> None:
    martine = person(structure_a, "martine.dubois")
    paul = person(structure_a, "paul.martin")
    context = phone(browser)
    tab = context.new_page()

    # Paul writes from his phone: the compose form fits and sends.
    login(tab, live_server.url, paul.email, PASSWORD)
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    fits(tab)
    with tab.expect_navigation():
        tab.click("text=Nouveau message Prof. Santé")
    fits(tab)
    for field in ("#to", "#subject", "#body", "button[name=send]"):
        visible_in_width(tab, field)
    tab.fill("#to", "martine.dubois@ch-a.mssante.fr")
    tab.fill("#subject", "Résultats d'analyses du patient hospitalisé en cardiologie")
    tab.fill("#body", f"Bonjour Martine,\nle compte rendu est ici : {LONG_LINK}\nPaul")
    with tab.expect_navigation():
        tab.tap("button[name=send]")
    assert "Message envoyé." in tab.inner_text("body")
    fits(tab)
    context.close()

    # Martine reads it on hers: folder list, message list, then the message.
    context = phone(browser)
    tab = context.new_page()
    login(tab, live_server.url, martine.email, PASSWORD)
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    fits(tab)
    folders = tab.locator(".mail-nav li a")
    assert folders.count() >= 5
    for n in range(folders.count()):  # every folder link on screen, none cut off
        assert folders.nth(n).is_visible()
        box = folders.nth(n).bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    row = tab.locator(".mail-list tr.unread")
    assert row.count() == 1
    visible_in_width(tab, ".mail-list tr.unread")
    with tab.expect_navigation():
        tab.tap("text=Résultats d'analyses")
    fits(tab)
    body = tab.inner_text(".mail-body")
    assert "le compte rendu est ici" in body
    visible_in_width(tab, ".mail-body")
    visible_in_width(tab, "text=Répondre")
    assert Message.objects.get(mailbox=martine, folder="inbox").seen
    # Other folders open from the bar too.
    with tab.expect_navigation():
        tab.tap(".mail-nav li a >> text=Envoyés")
    fits(tab)
    # The directory and the settings also fit.
    for url in (reverse("directory:search"), reverse("mail:settings")):
        tab.goto(live_server.url + url)
        fits(tab)
    context.close()


@pytest.mark.browser
def test_the_web_app_is_installable(live_server: Any, page: Any) -> None:
    """The page links the manifest; Chromium fetches it and its icons under the CSP."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/connexion/")
    href = page.get_attribute("link[rel=manifest]", "href")
    assert href == reverse("mail:manifest")
    assert page.get_attribute("meta[name=theme-color]", "content") == "#1d4f91"
    response = page.request.get(live_server.url + href)
    assert response.ok
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text())
    for icon in manifest["icons"]:
        image = page.request.get(live_server.url + icon["src"])
        assert image.ok and image.headers["content-type"] == "image/png"
        assert image.body()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [e for e in errors if "Content Security Policy" in e or "manifest" in e.lower()]


@pytest.mark.django_db
def test_manifest_content(client: Client) -> None:
    response = client.get(reverse("mail:manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json; charset=utf-8"
    data = response.json()
    assert data["display"] == "standalone" and data["lang"] == "fr"
    assert data["start_url"] == reverse("mail:home") and data["scope"] == "/"
    assert data["theme_color"] == "#1d4f91" and data["short_name"] == "Caducée"
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    static = Path(__file__).resolve().parents[2] / "caducee" / "static"
    for icon in data["icons"]:
        png = (static / icon["src"].split("/static/", 1)[1]).read_bytes()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]
    assert client.post(reverse("mail:manifest")).status_code == 405


@pytest.mark.django_db
def test_favicon_is_the_icon_and_keeps_the_pending_notices(
    client: Client, structure_a: Structure
) -> None:
    """Browsers ask for /favicon.ico by themselves, in parallel with the next page: it must
    not render a page that shows (and uses up) the session's notices."""
    account = person(structure_a, "favicon")
    assert account.user is not None
    client.force_login(account.user)
    client.post(reverse("identity:logout"))
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("caducee/icons/icon-192.png")
    assert client.get("/page-qui-n-existe-pas/").status_code == 404  # an error page keeps it too
    assert "Vous êtes déconnecté" in client.get(reverse("identity:login")).content.decode()
