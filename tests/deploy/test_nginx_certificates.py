"""Client certificates through the shipped nginx (issue #17): Debian's nginx verifies a
CPS card's certificate against test IGC-Santé chains and a partner's certificate against
the platform's own CA, in a real TLS handshake (curl --cert and Chromium), and passes them
to `caducee web` (gunicorn) as X-Client-* headers; a client's own X-Client-* headers never
get through."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests.conftest import PASSWORD
from tests.deploy.nginx_site import (
    NGINX,
    _start_nginx,
    _stop,
    free_port,
    render,
    site_values,
    wait_port,
)
from tests.deploy.test_nginx import _login_code
from tests.identity.certificates import pki
from tests.mail.instances import ROOT
from tests.tasks.processes import caducee, django_code, migrated_home, start

CLIENT_CERTIFICATES = ROOT / "deploy" / "nginx" / "client-certificates.conf"
DOCTOR = "kit.doc@ch-a.fr"  # carries the RPPS of the test CPS card
PARTNER = "gaspard.partenaire@exemple.fr"
NEWCOMER = "nadia.partenaire@exemple.fr"  # a partner who asks for her certificate here


@dataclass
class Platform:
    home: Path
    https: int
    base_url: str
    folder: Path
    partner_serial: str


def _setup_people(home: Path, folder: Path) -> str:
    """The doctor with the card's RPPS; the partner, whose certificate is issued by the
    platform's CA and written as PEM files (partner.pem / partner.key); its serial."""
    out = django_code(
        home,
        "from tests import factories\n"
        "from caducee.accounts.operations import mark_finalised\n"
        "from caducee.core.context import cli_context\n"
        "from caducee.identity.certificates import operations as ops\n"
        "from cryptography.hazmat.primitives import serialization as s\n"
        "from cryptography.hazmat.primitives.serialization import pkcs12\n"
        "structure = factories.make_structure(domain='ch-a.fr')\n"
        f"account = factories.make_account(structure, 'PER', email={DOCTOR!r})\n"
        f"account.rpps = {pki.RPPS!r}; account.save()\n"
        f"account.user.set_password({PASSWORD!r}); account.user.save()\n"
        "mark_finalised(account)\n"
        f"partner = factories.make_external(structure, {PARTNER!r}, identifier='gaspard')\n"
        f"partner.set_password({PASSWORD!r}); partner.save()\n"
        f"newcomer = factories.make_external(structure, {NEWCOMER!r}, identifier='nadia')\n"
        f"newcomer.set_password({PASSWORD!r}); newcomer.save()\n"
        "new = ops.issue_certificate(cli_context(partner), partner)\n"
        "_, bundle = ops.take_certificate_file(cli_context(partner), partner, new.row.pk)\n"
        "key, cert, _ = pkcs12.load_key_and_certificates(bundle, new.password.encode())\n"
        f"open({str(folder / 'partner.pem')!r}, 'wb').write(cert.public_bytes(s.Encoding.PEM))\n"
        f"open({str(folder / 'partner.key')!r}, 'wb').write(key.private_bytes("
        "s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))\n"
        "print(new.row.serial)\n",
    )
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    assert Path(NGINX).exists(), "nginx manque : lancez « make nginx » (root)"
    folder = tmp_path_factory.mktemp("nginx_certs")
    home = migrated_home(folder, "caducee_nginx_certs")
    done = caducee(home, "certificates", "init-ca")
    assert done.returncode == 0, done.stdout + done.stderr
    serial = _setup_people(home, folder)
    igc = pki.igc_sante()
    pki.cps_card(igc).write(folder, "cps")
    pki.self_signed("899700735741").write(folder, "stranger")  # right CN, untrusted issuer
    # What docs/IDENTITY.md tells the operator: the IGC-Santé chains + the platform's CA.
    bundle = folder / "client-ca.pem"
    bundle.write_text(
        igc.chain_pem + (home / "certificates" / "ca.pem").read_text(), encoding="utf-8"
    )
    web_port, https, http_port = free_port(), free_port(), free_port()
    base_url = f"https://localhost:{https}"
    values = site_values(folder, https, http_port, web_port)
    values["CADUCEE_NGINX_CLIENT_CA"] = str(bundle)
    (folder / "caducee.d" / "client-certificates.conf").write_text(
        render(CLIENT_CERTIFICATES, values), encoding="utf-8"
    )
    web = start(
        home,
        "web",
        "--http",
        f"127.0.0.1:{web_port}",
        "--workers",
        "1",
        CADUCEE_BASE_URL=base_url,
        CADUCEE_ALLOWED_HOSTS="localhost",
        CADUCEE_TRUSTED_PROXIES="127.0.0.1",
        CADUCEE_CPS_LOGIN="true",
    )
    nginx = _start_nginx(folder, values)
    try:
        wait_port(web_port, web)
        wait_port(https, nginx)
        yield Platform(home, https, base_url, folder, serial)
    finally:
        _stop(nginx)
        _stop(web)


def _curl(platform: Platform, path: str, *args: str) -> tuple[int, dict[str, str]]:
    """HTTP status and headers of one request made by curl, TLS checked against the test
    server certificate."""
    done = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--output",
            "/dev/null",
            "--dump-header",
            "-",
            "--cacert",
            str(platform.folder / "server.pem"),
            *args,
            f"{platform.base_url}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:])
    }
    return status, headers


def _card(platform: Platform, name: str = "cps") -> tuple[str, ...]:
    folder = platform.folder
    return ("--cert", str(folder / f"{name}.pem"), "--key", str(folder / f"{name}.key"))


def _last(home: Path, action: str) -> Any:
    out = django_code(
        home,
        "import json; from caducee.audit.models import AuditEvent\n"
        f"e = AuditEvent.objects.filter(action={action!r}).order_by('seq').last()\n"
        "print(json.dumps(e and {'detail': e.detail, 'actor': e.actor_label}))",
    )
    return json.loads(out.strip().splitlines()[-1])


def _load(pem: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.read_bytes())


def _serial_of(pem: Path) -> str:
    return f"{_load(pem).serial_number:X}"


def test_curl_with_a_cps_card_logs_its_holder_in(platform: Platform) -> None:
    status, headers = _curl(platform, "/connexion/cps/", *_card(platform))
    assert status == 302, headers
    assert not headers["location"].startswith("/connexion/"), headers
    event = _last(platform.home, "identity.login")
    assert event["actor"] == DOCTOR
    assert event["detail"]["method"] == "cps"
    assert event["detail"]["serial"] == _serial_of(platform.folder / "cps.pem")


def test_an_untrusted_card_is_refused_by_nginx(platform: Platform) -> None:
    assert _curl(platform, "/connexion/cps/", *_card(platform, "stranger"))[0] == 400


def test_headers_a_client_sends_itself_never_reach_the_platform(platform: Platform) -> None:
    card = pki.proxy_headers(_load(platform.folder / "cps.pem"))  # the card's own certificate
    forged = [
        "--header",
        "X-Client-Verify: SUCCESS",
        "--header",
        f"X-Client-DN: {card['HTTP_X_CLIENT_DN']}",
        "--header",
        f"X-Client-Cert: {card['HTTP_X_CLIENT_CERT']}",
    ]
    status, _ = _curl(platform, "/connexion/cps/", *forged)
    assert status == 403
    refused = _last(platform.home, "identity.cps_refused")
    assert refused["detail"] == {"reason": "no certificate"}


def _context(browser: Any, platform: Platform, name: str) -> Any:
    folder = platform.folder
    context = browser.new_context(
        locale="fr-FR",
        ignore_https_errors=True,
        client_certificates=[
            {
                "origin": platform.base_url,
                "certPath": str(folder / f"{name}.pem"),
                "keyPath": str(folder / f"{name}.key"),
            }
        ],
    )
    context.set_default_timeout(30_000)
    return context


def test_a_browser_with_a_cps_card_logs_in_from_the_login_page(
    platform: Platform, browser: Any
) -> None:
    context = _context(browser, platform, "cps")
    try:
        page = context.new_page()
        page.goto(f"{platform.base_url}/connexion/")
        with page.expect_navigation():
            page.click("#cps-login")
        assert not page.url.startswith(f"{platform.base_url}/connexion/"), page.content()
        page.goto(f"{platform.base_url}/securite/")
        assert page.url == f"{platform.base_url}/securite/"
    finally:
        context.close()
    event = _last(platform.home, "identity.login")
    assert event["actor"] == DOCTOR and event["detail"]["method"] == "cps"


def test_a_partner_certificate_replaces_the_code_in_a_browser(
    platform: Platform, browser: Any
) -> None:
    context = _context(browser, platform, "partner")
    try:
        page = context.new_page()
        page.goto(f"{platform.base_url}/connexion/")
        page.fill("#email", PARTNER)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert not page.url.startswith(f"{platform.base_url}/connexion/"), page.content()
        page.goto(f"{platform.base_url}/securite/")
        assert platform.partner_serial in page.content()
    finally:
        context.close()
    event = _last(platform.home, "identity.login")
    assert event["actor"] == PARTNER
    assert event["detail"]["method"] == "certificate"
    assert event["detail"]["serial"] == platform.partner_serial


def test_a_revoked_partner_certificate_asks_for_the_code_again(
    platform: Platform, browser: Any
) -> None:
    done = caducee(platform.home, "certificates", "revoke", platform.partner_serial)
    assert done.returncode == 0, done.stdout + done.stderr
    context = _context(browser, platform, "partner")
    try:
        page = context.new_page()
        page.goto(f"{platform.base_url}/connexion/")
        page.fill("#email", PARTNER)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == f"{platform.base_url}/connexion/code/"
    finally:
        context.close()


def _password_login(page: Any, platform: Platform, email: str) -> None:
    page.goto(f"{platform.base_url}/connexion/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_a_partner_asks_for_her_certificate_and_logs_in_with_the_downloaded_file(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    """The whole of point 3 in Chromium: login with the emailed code, « Demander un
    certificat de connexion » on « Sécurité », the password shown once, the PKCS#12
    downloaded once; then a browser holding that very file (and its password) logs in
    with the password alone."""
    context = browser.new_context(locale="fr-FR", ignore_https_errors=True)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        _password_login(page, platform, NEWCOMER)
        assert page.url == f"{platform.base_url}/connexion/code/"
        page.fill("#code", _login_code(platform.home))
        with page.expect_navigation():
            page.click("#code-submit")
        page.goto(f"{platform.base_url}/securite/")
        with page.expect_navigation():
            page.click("#certificate-request")
        password = page.inner_text("#certificate-password").strip()
        serial = page.inner_text("#certificate-serial").strip()
        with page.expect_download() as download:
            page.click("#certificate-download")
        bundle = tmp_path / "caducee.p12"
        download.value.save_as(bundle)
    finally:
        context.close()
    assert len(password) == 20 and bundle.stat().st_size > 0
    context = browser.new_context(
        locale="fr-FR",
        ignore_https_errors=True,
        client_certificates=[
            {"origin": platform.base_url, "pfxPath": str(bundle), "passphrase": password}
        ],
    )
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        _password_login(page, platform, NEWCOMER)
        assert not page.url.startswith(f"{platform.base_url}/connexion/"), page.content()
    finally:
        context.close()
    event = _last(platform.home, "identity.login")
    assert event["actor"] == NEWCOMER
    assert event["detail"]["method"] == "certificate" and event["detail"]["serial"] == serial
