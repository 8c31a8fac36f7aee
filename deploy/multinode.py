"""Multi-node platform on one machine: every role in processes of its own, kill -9 under load.

    .venv/bin/python deploy/multinode.py [--messages 5000] [--reduced]

Layout on loopback: PostgreSQL (a fresh database) and Redis (tasks); two `caducee web`
(gunicorn) behind the shipped nginx site (generated certificate); two `caducee smtp
--no-delivery`; two `caducee worker` (tasks and mail delivery); one `caducee scheduler`.
Each process has its own CADUCEE_HOME; shared: the database, Redis, CADUCEE_MAIL_ROOT,
CADUCEE_STORAGE_URL (a `file:///` folder), the secret and audit keys.

Scenario: an import is uploaded through web 1 and followed through web 2; N messages for
local mailboxes arrive through both SMTP processes (STARTTLS, MSSanté operator certificate)
and N messages submitted (port 587, application password) for another operator's domain
are delivered by the workers to a loopback sink; meanwhile kill -9 hits one web, one smtp,
one worker and the scheduler (restarted). Every check is printed; exit 1 if one fails.
Needs nginx (/usr/sbin/nginx) and the test dependencies (`make install-test`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import smtplib
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import machine  # noqa: E402
from deploy.multinode_checks import (  # noqa: E402
    check_inbound,
    check_outbound,
    sending_message_ids,
)
from deploy.multinode_clients import (  # noqa: E402
    DOMAIN,
    MAILBOXES,
    PEER,
    REMOTE,
    Browser,
    Health,
    ImportWatch,
    Inbound,
    Outbound,
)
from deploy.multinode_processes import (  # noqa: E402
    SINK,
    Failed,
    Platform,
    Report,
    flush_redis,
    fresh_database,
    port_open,
    query,
    wait,
)
from tests.deploy.nginx_site import (  # noqa: E402
    SITE,
    free_port,
    main_conf,
    render,
    site_values,
)
from tests.mail.certificates import TestCA, whitelist_xml  # noqa: E402

NGINX = "/usr/sbin/nginx"
ADMIN = "admin@ch-multi.fr"
# The admin of the throwaway platform: a new random password at each run, none in the repo.
PASSWORD = f"Multi-{secrets.token_urlsafe(18)}-1"
IMPORT_DOMAIN = "import-multi.fr"
HEALTH_FAILURES_ALLOWED = 3  # requests in flight at the kill instant

SETUP = """
import json
from caducee.cli.main import setup_django
setup_django()
from caducee.accounts.operations import mark_finalised
from caducee.core.context import cli_context
from caducee.mail.operations import create_app_password
from tests import factories
s = factories.make_structure("CH Multi", domain={domain!r})
factories.make_admin(s, {admin!r}, password={password!r})
boxes = []
for i in range({boxes}):
    a = factories.make_account(s, "PER", email=f"b{{i}}@perso.example.org",
                               mssante_particle=f"b{{i}}")
    mark_finalised(a)
    boxes.append(a)
secret = create_app_password(cli_context(), boxes[0].user, "multinode")
from tests.loadusers.builders import csv_bytes, line
lines = [line("MED", f"n{{i}}@{import_domain}") for i in range({lines})]
open({csv!r}, "wb").write(csv_bytes(lines))
print(json.dumps({{"structure": s.pk, "login": boxes[0].email, "secret": secret}}))
"""


def login_code(platform: Platform, workers: list[str], since: float) -> str:
    """The login code of the newest email a worker wrote (file backend: its own outbox)."""
    found: list[tuple[float, str]] = []
    for name in workers:
        for path in (platform.home(name) / "outbox").glob("*"):
            if path.stat().st_mtime >= since:
                match = re.search(r"\b(\d{6})\b", path.read_text(errors="replace"))
                if match:
                    found.append((path.stat().st_mtime, match.group(1)))
    return max(found)[1] if found else ""


@dataclass
class Started:
    """What the started platform offers the scenario."""

    ports: dict[str, int]
    base_url: str
    data: dict[str, Any]  # the setup's structure id and submission credentials
    peer: Any  # the other operator's certificate (a TestCA issue)
    sink_out: Path
    url: str  # the database


def start_platform(
    args: argparse.Namespace, report: Report, folder: Path, platform: Platform
) -> Started:
    """A fresh database and Redis, certificates, nginx and every caducee process."""
    url = args.database_url
    fresh_database(url)
    flush_redis(args.redis_url)
    report.say(f"Machine : {machine()} ; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    report.say(f"Dossier : {folder} ; base {url} ; Redis {args.redis_url}")
    pki = TestCA(folder / "pki")
    server = pki.issue("mx", "mx.ch-multi.test")
    peer = pki.issue("peer", "medimail-test.mipih.fr", org="GIP MIPIH")
    sink_cert = pki.issue("sink", "mx.autre-operateur.test")
    whitelist = folder / "listeblanchemssante.xml"
    whitelist.write_bytes(whitelist_xml({PEER: peer.dn, REMOTE: sink_cert.dn}))
    (folder / "mail").mkdir()
    (folder / "files").mkdir()
    ports = {k: free_port() for k in ("web1", "web2", "https", "http", "sink")}
    ports.update({f"smtp{i}": free_port() for i in (1, 2)})
    ports.update({f"submission{i}": free_port() for i in (1, 2)})
    base_url = f"https://localhost:{ports['https']}"
    platform.env.update(
        CADUCEE_DATABASE_URL=url,
        CADUCEE_TASKS_URL=args.redis_url,
        CADUCEE_MAIL_ROOT=str(folder / "mail"),
        CADUCEE_STORAGE_URL=f"file://{folder / 'files'}",
        CADUCEE_SECRET_KEY=secrets.token_urlsafe(50),
        CADUCEE_AUDIT_KEY=secrets.token_urlsafe(32),
        CADUCEE_BASE_URL=base_url,
        CADUCEE_ALLOWED_HOSTS="localhost",
        CADUCEE_TRUSTED_PROXIES="127.0.0.1",
        CADUCEE_SMTP_TLS_CERT=str(server.cert),
        CADUCEE_SMTP_TLS_KEY=str(server.key),
        CADUCEE_SMTP_TRUST_ANCHORS=str(pki.cert),
        CADUCEE_MSSANTE_WHITELIST=str(whitelist),
        CADUCEE_SMTP_ROUTES=f"{REMOTE}=127.0.0.1:{ports['sink']}",
        CADUCEE_SMTP_COMMAND_LIMIT="100000",
        CADUCEE_DELIVERY_CLAIM_SECONDS="10",
    )
    platform.run("migrate", [sys.executable, "-m", "caducee.cli.main", "migrate"])
    setup = SETUP.format(
        domain=DOMAIN,
        admin=ADMIN,
        password=PASSWORD,
        boxes=MAILBOXES,
        import_domain=IMPORT_DOMAIN,
        lines=args.import_lines,
        csv=str(folder / "import.csv"),
    )
    data = json.loads(platform.run("setup", [sys.executable, "-c", setup]).splitlines()[-1])
    report.say(f"Base migrée ; {MAILBOXES} boîtes sur {DOMAIN}, un administrateur")

    values = site_values(folder, ports["https"], ports["http"], ports["web1"])
    site = folder / "caducee.site"
    first = f"    server 127.0.0.1:{ports['web1']};\n"
    text = render(SITE, values)
    assert text.count(first) == 1, "bloc upstream du site nginx introuvable"
    # As an operator does: one `server` line per web process in the upstream block.
    text = text.replace(first, first + f"    server 127.0.0.1:{ports['web2']};\n")
    site.write_text(text, encoding="utf-8")
    conf = main_conf(folder, site)
    sink_out = folder / "sink.txt"
    platform.start(
        "sink",
        [
            sys.executable,
            "-c",
            SINK,
            str(ports["sink"]),
            str(sink_cert.cert),
            str(sink_cert.key),
            str(sink_out),
        ],
    )
    for i in (1, 2):
        platform.caducee(
            f"web{i}", "web", "--http", f"127.0.0.1:{ports[f'web{i}']}", "--workers", "1"
        )
        platform.caducee(
            f"smtp{i}",
            "smtp",
            "--no-delivery",
            "--smtp",
            f"127.0.0.1:{ports[f'smtp{i}']}",
            "--submission",
            f"127.0.0.1:{ports[f'submission{i}']}",
        )
        platform.caducee(f"worker{i}", "worker")
    platform.caducee("scheduler", "scheduler")
    platform.start("nginx", [NGINX, "-p", str(folder), "-c", str(conf)])
    _wait_started(platform, ports)
    report.check(True, "démarrés : nginx, web1, web2, smtp1, smtp2, worker1, worker2, scheduler")
    return Started(ports, base_url, data, peer, sink_out, url)


def _wait_started(platform: Platform, ports: dict[str, int]) -> None:
    """Every listening port answers and every process still runs (its log otherwise)."""
    for name in ("web1", "web2", "smtp1", "smtp2", "submission1", "submission2", "https", "sink"):
        owner = name.replace("submission", "smtp").replace("https", "nginx")
        try:
            wait(
                f"port de {name}",
                lambda n=name, o=owner: port_open(ports[n]) or not platform.alive(o),
                90,
            )
            if not platform.alive(owner):
                raise Failed(owner)
        except Failed:
            raise Failed(f"{name} ne répond pas :\n{platform.log(owner)}") from None
    for name in ("worker1", "worker2", "scheduler"):
        if not platform.alive(name):
            raise Failed(f"{name} s'est arrêté :\n{platform.log(name)}")


def login_admin(platform: Platform, started: Started) -> tuple[Browser, str]:
    """The administrator logs in on web 1; the code's e-mail is sent by a worker."""
    web1 = Browser(started.ports["web1"], started.base_url)
    web1.request("GET", "/connexion/")
    since = time.time() - 1
    status, headers, _ = web1.post_form("/connexion/", {"email": ADMIN, "password": PASSWORD})
    if status != 302:
        raise Failed(f"connexion refusée (HTTP {status})")
    codes: list[str] = []

    def code_sent() -> bool:
        codes.append(login_code(platform, ["worker1", "worker2"], since))
        return bool(codes[-1])

    wait("code de connexion envoyé par un worker", code_sent, 60)
    code = codes[-1]
    status, headers, _ = web1.post_form("/connexion/code/", {"code": code})
    if status != 302 or "/connexion/" in headers.get("Location", "/connexion/"):
        raise Failed(f"code de connexion refusé (HTTP {status})")
    return web1, code


def run_import(
    report: Report, url: str, folder: Path, web1: Browser, started: Started, lines: int
) -> ImportWatch:
    """Upload on web 1, see the checked preview on web 2, confirm on web 1."""
    watch = ImportWatch(
        url, web1, started.ports["web2"], started.base_url, started.data["structure"]
    )
    job = watch.upload((folder / "import.csv").read_bytes())
    report.check(
        True, f"import n° {job} ({lines} lignes) déposé sur web1 (console, administrateur)"
    )
    wait("vérification de l'import vue sur web2", watch.previewed, 120, 0.5)
    report.check(True, "web2 montre l'import vérifié (aperçu) : même session, même base")
    status, _, _ = web1.post_form(f"{watch.job_path}confirmer", {})
    report.check(status == 302, f"import confirmé sur web1 (HTTP {status})")
    return watch


def run_load(
    n: int, report: Report, platform: Platform, started: Started, watch: ImportWatch
) -> tuple[Inbound, Outbound, set[str]]:
    """n messages in through both SMTP processes and n submitted for another operator;
    kill -9 of one process of each role under load (a new scheduler is started)."""
    tls_peer = started.peer.client_context()
    plain = ssl.create_default_context()
    plain.check_hostname, plain.verify_mode = False, ssl.CERT_NONE

    def inbound_client(port: int) -> smtplib.SMTP:
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        client.starttls(context=tls_peer)
        return client

    def submission_client(port: int) -> smtplib.SMTP:
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        client.starttls(context=plain)
        client.login(started.data["login"], started.data["secret"])
        return client

    ports = started.ports
    inbound = Inbound("in", [ports["smtp1"], ports["smtp2"]], n, inbound_client)
    outbound = Outbound("out", [ports["submission1"], ports["submission2"]], n, submission_client)
    in_flight: set[str] = set()  # claimed, maybe sent, by the killed worker: at least once
    inbound.start()
    outbound.start()
    report.say(f"charge lancée : {n} messages entrants (smtp1 + smtp2), {n} soumis pour {REMOTE}")
    for name, fraction in [("web1", 0.15), ("smtp1", 0.3), ("worker1", 0.45), ("scheduler", 0.6)]:
        wait(
            f"{int(fraction * 100)} % de la charge avant de tuer {name}",
            lambda f=fraction: (
                (inbound.accepted + outbound.accepted) >= f * 2 * n
                or not any(t.is_alive() for t in inbound.threads + outbound.threads)
            ),
            600,
            0.05,
        )
        watch.follow()
        platform.kill9(name)
        if name.startswith("worker"):
            in_flight |= sending_message_ids(started.url)
        report.say(
            f"kill -9 {name} (charge : {inbound.accepted} reçus, {outbound.accepted} soumis)"
        )
    platform.caducee("scheduler2", "scheduler")
    report.say("scheduler relancé (scheduler2)")
    if not inbound.join(600) or not outbound.join(600):
        raise Failed("la charge ne s'est pas terminée en 600 s")
    report.check(
        not inbound.errors and inbound.accepted == n,
        f"entrants : {inbound.accepted}/{n} acceptés (250), {len(inbound.retried)} renvoyés "
        f"sur l'autre processus après la coupure",
    )
    report.check(
        not outbound.errors and outbound.accepted == n,
        f"soumis : {outbound.accepted}/{n} acceptés (250), {len(outbound.retried)} renvoyés",
    )
    return inbound, outbound, in_flight


def check_import(report: Report, url: str, watch: ImportWatch, lines: int) -> None:
    """The import ran once to the end, followed on web 2; each account created and audited
    once."""
    wait("fin de l'import suivie sur web2", watch.over, 300, 0.5)
    watch.done.set()
    status, _, _ = watch.web2.request("GET", watch.job_path)
    sql = "SELECT status, created, runs, error FROM loadusers_importjob WHERE id = %s"
    row = query(url, sql, watch.job)[0]
    seen = watch.progress_seen
    report.check(
        status == 200 and row[0] == "done" and row[1] == lines,
        f"import suivi sur web2 jusqu'au bout : état {row[0]}, {row[1]} comptes créés, "
        f"exécution(s) {row[2]}, {len(seen)} états de progression vus sur web2 "
        f"(premier : {seen[0] if seen else '-'} ; dernier : {seen[-1] if seen else '-'})",
    )
    count, distinct = query(
        url,
        "SELECT count(*), count(DISTINCT email) FROM accounts_account WHERE email LIKE %s",
        f"%@{IMPORT_DOMAIN}",
    )[0]
    audited = query(
        url,
        "SELECT count(*) FROM audit_auditevent WHERE action = 'account.create' AND target_id "
        "IN (SELECT id::text FROM accounts_account WHERE email LIKE %s)",
        f"%@{IMPORT_DOMAIN}",
    )[0][0]
    report.check(
        count == distinct == audited == lines,
        f"import : {count} comptes, {distinct} adresses distinctes (attendu {lines} : une fois "
        f"chacun) ; {audited} événements « account.create » au journal",
    )


def scenario(args: argparse.Namespace, report: Report, folder: Path, platform: Platform) -> None:
    """The run book: start, log in, import, load with kills, then every check."""
    url = args.database_url
    started = start_platform(args, report, folder, platform)
    health = Health(started.ports["https"], folder / "server.pem")
    health.start()
    web1, code = login_admin(platform, started)
    watch = run_import(report, url, folder, web1, started, args.import_lines)
    inbound, outbound, in_flight = run_load(args.messages, report, platform, started, watch)
    check_import(report, url, watch, args.import_lines)
    check_inbound(report, url, folder, args.messages, len(set(inbound.uncertain)))
    cut = len(set(outbound.uncertain))
    check_outbound(report, url, started.sink_out, args.messages, cut, in_flight)

    # The login code's e-mail: one task, run once (one file in one worker's outbox).
    codes = [
        path.parent.parent.name
        for name in ("worker1", "worker2")
        for path in (platform.home(name) / "outbox").glob("*")
        if code in path.read_text(errors="replace")
    ]
    report.check(
        len(codes) == 1,
        f"e-mail du code de connexion (tâche send_emails, file urgent) : {len(codes)} envoi(s) "
        f"({', '.join(codes) or 'aucun'})",
    )

    # Survivors and the restarted scheduler.
    survivors = ["web2", "smtp2", "worker2", "scheduler2", "nginx"]
    dead = [s for s in survivors if not platform.alive(s)]
    report.check(
        not dead,
        f"survivants en marche : {', '.join(survivors)}" + (f" ; arrêtés : {dead}" if dead else ""),
    )
    health.halt.set()
    health.join(timeout=15)
    report.check(
        len(health.failed) <= HEALTH_FAILURES_ALLOWED and health.ok > 0,
        f"/healthz par nginx pendant tout le scénario : {health.ok} réponses 200, "
        f"{len(health.failed)} échec(s) {health.failed[:5]} (toléré : {HEALTH_FAILURES_ALLOWED}, "
        "requêtes en cours à l'instant du kill)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--reduced", action="store_true", help="version réduite (~200 messages)")
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/caducee_multinode"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--keep", action="store_true", help="garder le dossier de travail")
    args = parser.parse_args(argv)
    if args.reduced:
        args.messages = min(args.messages, 200)
    args.import_lines = 1000 if args.reduced else 5000
    report = Report()
    folder = Path(tempfile.mkdtemp(prefix="caducee-multinode-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    env.update(DJANGO_SETTINGS_MODULE="caducee.settings", PYTHONUNBUFFERED="1")
    platform = Platform(folder, env)

    def terminated(_signum: int, _frame: Any) -> None:
        raise Failed("arrêté par SIGTERM")

    signal.signal(signal.SIGTERM, terminated)  # the processes are stopped all the same
    try:
        scenario(args, report, folder, platform)
    except Failed as exc:
        report.check(False, str(exc))
    except Exception as exc:  # reported, the processes still stopped
        report.check(False, f"erreur inattendue : {type(exc).__name__}: {exc}")
    finally:
        platform.stop_all()
        if not args.keep and report.failures == 0:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    verdict = "réussi" if report.failures == 0 else f"{report.failures} vérification(s) en échec"
    report.say(
        f"Scénario multi-nœuds : {verdict}"
        + (f" (journaux : {folder}/logs)" if report.failures else "")
    )
    return 0 if report.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
