"""The shipped nginx site run by Debian's nginx in a folder of its own, with generated
certificates: shared by tests/deploy/test_nginx.py and deploy/multinode.py."""

from __future__ import annotations

import datetime
import ipaddress
import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "caducee.conf"


def render(template: Path, values: dict[str, str]) -> str:
    """The documented substitution (envsubst with the listed variables), nothing more."""
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"${{{name}}}", value)
    left = re.findall(r"\$\{CADUCEE_[A-Z_]+\}", _body(text))
    assert left == [], f"variables sans valeur : {left}"
    return text


def _body(text: str) -> str:
    """The configuration without its comments (which name the variables)."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"port {port} still closed after {seconds} s")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(
    folder: Path, name: str, common_name: str, issuer: tuple[x509.Certificate, Any] | None = None
) -> tuple[x509.Certificate, Any]:
    """A certificate and its key as PEM files NAME.pem / NAME.key (self-signed or issued)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    signer_cert, signer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(signer_cert.subject if signer_cert else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if common_name == "localhost":
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer_key, hashes.SHA256())
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


def site_values(folder: Path, https: int, http: int, upstream: int) -> dict[str, str]:
    """The shipped site's variables for a folder of a test: a certificate for localhost,
    an empty static folder and snippets folder, nginx on loopback in front of `upstream`."""
    certificate(folder, "server", "localhost")
    static = folder / "static"
    static.mkdir()
    snippets = folder / "caducee.d"
    snippets.mkdir()
    return {
        "CADUCEE_BASE_URL": f"https://localhost:{https}",
        "CADUCEE_NGINX_SERVER_NAME": "localhost",
        "CADUCEE_NGINX_HTTPS_LISTEN": f"127.0.0.1:{https}",
        "CADUCEE_NGINX_HTTP_LISTEN": f"127.0.0.1:{http}",
        "CADUCEE_NGINX_TLS_CERT": str(folder / "server.pem"),
        "CADUCEE_NGINX_TLS_KEY": str(folder / "server.key"),
        "CADUCEE_NGINX_UPSTREAM": f"127.0.0.1:{upstream}",
        "CADUCEE_NGINX_STATIC_ROOT": str(static),
        "CADUCEE_NGINX_SNIPPETS": str(snippets),
    }


def main_conf(folder: Path, site: Path) -> Path:
    """What Debian's /etc/nginx/nginx.conf does around a site, in a folder of this test."""
    conf = folder / "nginx.conf"
    temp = folder / "temp"
    temp.mkdir()
    conf.write_text(
        f"""user root root;
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
""",
        encoding="utf-8",
    )
    return conf


def _start_nginx(folder: Path, values: dict[str, str]) -> subprocess.Popen[str]:
    site = folder / "caducee.site"
    site.write_text(render(SITE, values), encoding="utf-8")
    conf = main_conf(folder, site)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    return subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
