"""deploy/nginx: Debian's nginx runs the shipped site in front of `caducee web` (gunicorn),
with a certificate made here, and a real browser logs in over https (HTTP/2)."""

from __future__ import annotations

import email
import http.client
import json
import re
import shutil
import ssl
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
    SITE,
    _body,
    _start_nginx,
    _stop,
    certificate,
    free_port,
    render,
    site_values,
    wait_port,
)
from tests.mail.instances import ROOT
from tests.tasks.processes import caducee, django_code, migrated_home, start

CLIENT_CERTIFICATES = ROOT / "deploy" / "nginx" / "client-certificates.conf"
EMAIL = "pierre.martin@ch-a.fr"
CERTIFIED_EMAIL = "paul.durand@ch-a.fr"  # logs in with a client certificate
CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Platform:
    home: Path
    https: int
    http: int
    base_url: str
    folder: Path


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # Never skipped: `make test` installs nginx first (`make nginx`), as CI does.
    assert Path(NGINX).exists(), (
        "nginx manque : lancez « make nginx » (root) ou apt-get install nginx"
    )
    folder = tmp_path_factory.mktemp("nginx")
    home = migrated_home(folder, "caducee_proxy_nginx")
    django_code(
        home,
        "from tests import factories\n"
        "from caducee.accounts.operations import mark_finalised\n"
        "structure = factories.make_structure(domain='ch-a.fr')\n"
        f"for email in ({EMAIL!r}, {CERTIFIED_EMAIL!r}):\n"
        "    account = factories.make_account(structure, 'PER', email=email)\n"
        f"    account.user.set_password({PASSWORD!r}); account.user.save()\n"
        "    mark_finalised(account)",
    )
    web_port, https, http_port = free_port(), free_port(), free_port()
    base_url = f"https://localhost:{https}"
    values = site_values(folder, https, http_port, web_port)
    (folder / "static" / "proof.txt").write_text("servi par nginx", encoding="utf-8")
    # Optional client-certificate verification, enabled as docs/DEPLOY.md says.
    ca = certificate(folder, "client-ca", "Autorité de test")
    certificate(folder, "paul", "Paul Durand", ca)
    certificate(folder, "stranger", "Inconnu")  # self-signed: no trusted issuer
    values["CADUCEE_NGINX_CLIENT_CA"] = str(folder / "client-ca.pem")
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
    )
    nginx = _start_nginx(folder, values)
    try:
        wait_port(web_port, web)
        wait_port(https, nginx)
        yield Platform(home, https, http_port, base_url, folder)
    finally:
        _stop(nginx)
        _stop(web)


def _connection(platform: Platform, client: str | None = None) -> http.client.HTTPSConnection:
    """A TLS client that trusts the test's server certificate (and presents CLIENT's)."""
    folder = platform.folder
    context = ssl.create_default_context(cafile=folder / "server.pem")
    if client:
        context.load_cert_chain(folder / f"{client}.pem", folder / f"{client}.key")
    return http.client.HTTPSConnection("localhost", platform.https, context=context, timeout=30)


def _get(platform: Platform, path: str, client: str | None = None) -> http.client.HTTPResponse:
    connection = _connection(platform, client)
    connection.request("GET", path)
    return connection.getresponse()


def test_plain_http_is_sent_to_the_public_https_address(platform: Platform) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", platform.http, timeout=30)
    connection.request("GET", "/connexion/?a=1", headers={"Host": "localhost"})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"{platform.base_url}/connexion/?a=1"


def test_static_files_come_from_disk_or_the_platform(platform: Platform) -> None:
    from_disk = _get(platform, "/static/proof.txt")
    assert from_disk.status == 200 and from_disk.read().decode() == "servi par nginx"
    from_platform = _get(platform, "/static/caducee/console.css")
    assert from_platform.status == 200 and from_platform.read()


def test_a_body_above_the_platform_limit_is_refused_by_nginx(platform: Platform) -> None:
    context = ssl.create_default_context(cafile=platform.folder / "server.pem")
    connection = http.client.HTTPSConnection(
        "localhost", platform.https, context=context, timeout=30
    )
    connection.putrequest("POST", "/connexion/")
    connection.putheader("Content-Length", str(41 * 1024 * 1024))
    connection.endheaders()
    assert connection.getresponse().status == 413


def test_client_certificates_are_verified_by_nginx(platform: Platform) -> None:
    assert _get(platform, "/connexion/").status == 200  # optional: no certificate is fine
    assert _get(platform, "/connexion/", client="paul").status == 200
    assert _get(platform, "/connexion/", client="stranger").status == 400


def _login_code(home: Path) -> str:
    done = caducee(home, "worker", "--batch", "--no-delivery")  # sends the code's email
    assert done.returncode == 0, done.stdout + done.stderr
    for path in sorted((home / "outbox").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
        for part in email.message_from_bytes(path.read_bytes()).walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found = CODE.search(payload.decode())
                if found:
                    return found.group(1)
    raise AssertionError("aucun code de connexion dans la boîte d'envoi")


def _browser_login(page: Any, platform: Platform, email: str) -> None:
    page.goto(f"{platform.base_url}/connexion/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{platform.base_url}/connexion/code/", page.content()
    page.fill("#code", _login_code(platform.home))
    with page.expect_navigation():
        page.click("#code-submit")
    assert not page.url.startswith(f"{platform.base_url}/connexion/"), page.content()


def _last_login_detail(home: Path) -> Any:
    out = django_code(
        home,
        "import json; from caducee.audit.models import AuditEvent\n"
        "print(json.dumps(AuditEvent.objects.filter(action='identity.login').latest('seq').detail))",
    )
    return json.loads(out.strip().splitlines()[-1])


def test_a_browser_logs_in_over_https_through_nginx(platform: Platform, browser: Any) -> None:
    context = browser.new_context(locale="fr-FR", ignore_https_errors=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{platform.base_url}/connexion/")
        protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
        assert protocol == "h2"
        _browser_login(page, platform, EMAIL)
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]
    finally:
        context.close()
    assert _last_login_detail(platform.home) == {"method": "email"}


def test_a_verified_client_certificate_reaches_the_platform(
    platform: Platform, browser: Any
) -> None:
    folder = platform.folder
    context = browser.new_context(
        locale="fr-FR",
        ignore_https_errors=True,
        client_certificates=[
            {
                "origin": platform.base_url,
                "certPath": str(folder / "paul.pem"),
                "keyPath": str(folder / "paul.key"),
            }
        ],
    )
    context.set_default_timeout(30_000)
    try:
        _browser_login(context.new_page(), platform, CERTIFIED_EMAIL)
    finally:
        context.close()
    serial = f"{x509.load_pem_x509_certificate((folder / 'paul.pem').read_bytes()).serial_number:X}"
    assert _last_login_detail(platform.home) == {
        "method": "email",
        "certificate": "CN=Paul Durand",
        "serial": serial,  # X-Client-Cert (issue #17)
    }


def _documented_variables(template: Path) -> list[str]:
    """The variables of the `envsubst '…'` command in the template's header comment."""
    header = "\n".join(line for line in template.read_text().splitlines() if line.startswith("#"))
    quoted = re.search(r"envsubst '([^']*)'", header)
    assert quoted is not None
    return re.findall(r"\$\{(CADUCEE_[A-Z_]+)\}", quoted.group(1))


def test_the_documented_envsubst_names_every_variable_of_the_site() -> None:
    documented = _documented_variables(SITE)
    used = set(re.findall(r"\$\{(CADUCEE_[A-Z_]+)\}", _body(SITE.read_text())))
    assert set(documented) == used
    values = {name: f"/valeur/{name.lower()}" for name in documented}
    envsubst = shutil.which("envsubst")
    if envsubst is not None:  # gettext-base, on most Debian machines
        done = subprocess.run(
            [envsubst, " ".join(f"${{{name}}}" for name in documented)],
            input=SITE.read_text(),
            env=values,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert done.stdout == render(SITE, values)
