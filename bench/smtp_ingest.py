"""SMTP ingest benchmark: N messages of ~10 kB over C concurrent loopback connections.

Three contenders receive the same load from the same client (`load()`), one after the
other in the same run:

1. `caducee smtp` (inbound MTA, durability kept: file and directory fsync'd and row
   committed before 250) as a separate process, once per `--processes` value and
   database; messages per second, the server's peak memory (VmHWM) and CPU;
2. a bare aiosmtpd sink that answers 250 and stores nothing (the protocol library's ceiling);
3. Postfix from Debian (`bench/postfix_contender.py`): a private instance on a loopback port,
   a virtual domain delivered to Maildir, default durability; installed with apt-get when
   absent and the script runs as root, skipped with a message otherwise. Its rate is the
   rate of its 250 answers (queue file fsync'd); the script then waits until every
   message is in the Maildirs and prints that time too.

    .venv/bin/python bench/smtp_ingest.py                         # SQLite, 1 process
    .venv/bin/python bench/smtp_ingest.py --processes 1 2         # both, same run
    .venv/bin/python bench/smtp_ingest.py --database-url sqlite \
        --database-url postgresql://postgres@127.0.0.1:5432/caducee_bench_mail
    .venv/bin/python bench/smtp_ingest.py --profile /tmp/prof     # py-spy, see below
    .venv/bin/python bench/smtp_ingest.py --root avant=/tmp/main --root après=.

`--root LABEL=DIR` (several times): Caducée run from each of these checkouts in turn (for
each database and number of processes), in the same run as the sink and Postfix, e.g. the
main branch exported with `git archive` against the working tree.

With `--processes N` the CPU time and peak memory printed are the sums over the N
server processes. `--profile DIR` records each Caducée run with py-spy (`pip install
py-spy`; raw collapsed stacks in DIR, summarised by `bench/profile_summary.py`).

The client is a whitelisted operator of the MSSanté trust space, as the inbound MTA
requires: STARTTLS with a client certificate from a test CA the server trusts
(tests/mail/certificates.py); the sink and Postfix are also reached over STARTTLS with that
certificate (Postfix requires and verifies it, as Caducée does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import machine  # noqa: E402
from bench.postfix_contender import PostfixInstance, ensure_installed  # noqa: E402
from bench.process_stats import cpu_seconds, family, peak_memory_mib  # noqa: E402
from tests.mail.certificates import Issued, TestCA, whitelist_xml  # noqa: E402

SINK = """
import asyncio, ssl, sys
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(sys.argv[2], sys.argv[3])
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]), tls_context=tls)
c.start()
print("SMTP sink ready", flush=True)
import threading; threading.Event().wait()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def message(n: int, to: str) -> bytes:
    body = "Compte rendu de consultation, ligne de texte pour le volume.\r\n" * 160
    return (
        f"From: dr.expediteur@medimail.mssante.fr\r\nTo: {to}\r\n"
        f"Subject: Compte rendu {n}\r\nMessage-ID: <bench-{n}@medimail.mssante.fr>\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def load(
    port: int, recipients: list[str], total: int, connections: int, tls: ssl.SSLContext
) -> float:
    """Send `total` messages over `connections` threads; return the elapsed seconds."""
    errors: list[str] = []

    def worker(index: int) -> None:
        count = total // connections + (1 if index < total % connections else 0)
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                client.starttls(context=tls)
                client.ehlo()
                for i in range(count):
                    to = recipients[(index + i) % len(recipients)]
                    client.sendmail(
                        "dr.expediteur@medimail.mssante.fr",
                        [to],
                        message(index * 1_000_000 + i, to),
                    )
        except (OSError, smtplib.SMTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3600)
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"échec de l'envoi : {errors[0]}")
    return elapsed


def wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    for _ in range(3):  # the whitelist's line comes first
        if "SMTP" in line or not line:
            break
        line = process.stdout.readline()
    if "SMTP" not in line:
        process.kill()
        raise SystemExit("le serveur n'a pas démarré : " + line + process.stdout.read())


def prepare(env: dict[str, str], mailboxes: int, root: Path = ROOT) -> list[str]:
    script = f"""
from caducee.cli.main import setup_django
setup_django()
from caducee.accounts.models import Account
from caducee.structures.models import Structure
s = Structure.objects.create(name="Bench", id_type="FINESS_EJ", id_number="750000010",
                             domain="bench.mssante.fr")
Account.objects.bulk_create([Account(structure=s, state="valide", type="PER",
    email=f"p{{i}}@bench.example.org", last_name="P", first_name=str(i),
    mssante_particle=f"p{{i}}") for i in range({mailboxes})])
"""
    migrate = [sys.executable, "-m", "caducee.cli.main", "migrate"]  # the only one that migrates
    subprocess.run(migrate, cwd=root, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True, timeout=300)
    return [f"p{i}@bench.mssante.fr" for i in range(mailboxes)]


def reset_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Measure:
    """One contender's run: the rate of 250 answers and what the server process(es) used."""

    label: str
    rate: float
    elapsed: float
    cpu_ms: float  # server CPU per message
    client_ms: float  # the load generator's CPU per message (this process)
    peak_mib: float = 0.0


def client_cpu() -> float:
    times = os.times()
    return times.user + times.system


def measured_load(
    port: int, recipients: list[str], args: argparse.Namespace, tls: ssl.SSLContext
) -> tuple[float, float]:
    """`load()`, and the CPU seconds this process (the client) spent on it."""
    before = client_cpu()
    elapsed = load(port, recipients, args.messages, args.connections, tls)
    return elapsed, client_cpu() - before


def start_profiler(pid: int, output: Path, gil: bool) -> subprocess.Popen[bytes]:
    """py-spy on the server and its children: with `gil`, only the thread holding the GIL
    (the Python CPU); else every thread not idle (waits on fsync and SQLite included)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("--profile : py-spy introuvable (pip install py-spy)")
    command = [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "200"]
    command += ["--format", "raw", "--nonblocking", "--output", str(output)]
    command += ["--gil"] if gil else []
    profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the load starts
    return profiler


def run_caducee(
    args: argparse.Namespace,
    ca: TestCA,
    operator: Issued,
    url: str,
    processes: int,
    root: tuple[str, Path] = ("", ROOT),
) -> Measure:
    """A fresh CADUCEE_HOME and database, `caducee smtp --processes N` run from `root`
    (label, checkout), the load."""
    name, checkout = root
    home = Path(tempfile.mkdtemp(prefix="caducee-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    env.update(CADUCEE_HOME=str(home), DJANGO_SETTINGS_MODULE="caducee.settings")
    if url:
        reset_postgres(url)
        env["CADUCEE_DATABASE_URL"] = url
    whitelist = home / "listeblanchemssante.xml"
    whitelist.write_bytes(whitelist_xml({"medimail.mssante.fr": operator.dn}))
    env.update(
        CADUCEE_SMTP_TRUST_ANCHORS=str(ca.cert),
        CADUCEE_MSSANTE_WHITELIST=str(whitelist),
        # one long session per connection, as the bench has always measured
        CADUCEE_SMTP_COMMAND_LIMIT=str(max(1000, args.messages)),
    )
    recipients = prepare(env, args.mailboxes, checkout)
    port = free_port()
    command = [sys.executable, "-m", "caducee.cli.main", "smtp", "--smtp", f"127.0.0.1:{port}"]
    command += ["--submission", f"127.0.0.1:{free_port()}", "--no-delivery"]
    command += ["--processes", str(processes)]
    server = subprocess.Popen(
        command, cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    profiler = None
    try:
        wait_ready(server)
        servers = family(server.pid)
        if args.profile:
            database = "postgresql" if url else "sqlite"
            kind = "gil" if args.profile_gil else "active"
            tag = f"{name}-" if name else ""
            output = args.profile / f"caducee-{tag}{database}-{processes}p-{kind}.txt"
            profiler = start_profiler(server.pid, output, args.profile_gil)
        cpu_before = sum(cpu_seconds(pid) for pid in servers)
        system_before = sum(cpu_seconds(pid, system_only=True) for pid in servers)
        elapsed, client = measured_load(port, recipients, args, operator.client_context())
        cpu = sum(cpu_seconds(pid) for pid in servers) - cpu_before
        system = sum(cpu_seconds(pid, system_only=True) for pid in servers) - system_before
        peak = sum(peak_memory_mib(pid) for pid in servers)
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)
    stored = sum(1 for _ in (home / "mail").glob("*/cur/*"))
    label = f"Caducée, {'PostgreSQL' if url else 'SQLite (WAL)'}, {processes} processus"
    label += f" ({name})" if name else ""
    result = Measure(
        label,
        args.messages / elapsed,
        elapsed,
        cpu / args.messages * 1000,
        client / args.messages * 1000,
        peak,
    )
    print(
        f"{label} : {result.rate:.0f} messages/s ({elapsed:.1f} s), mémoire maximale "
        f"{peak:.0f} Mio, CPU du serveur {result.cpu_ms:.2f} ms par message (système "
        f"{system / cpu if cpu else 0:.0%}), du client "
        f"{result.client_ms:.2f} ms ; {stored} fichiers stockés ; load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if stored != args.messages:
        raise SystemExit(f"ATTENTION : {stored} fichiers pour {args.messages} messages envoyés")
    shutil.rmtree(home, ignore_errors=True)
    return result


def run_sink(args: argparse.Namespace, operator: Issued, recipients: list[str]) -> Measure:
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port), str(operator.cert), str(operator.key)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(sink)
        cpu_before = cpu_seconds(sink.pid)
        elapsed, client = measured_load(port, recipients, args, operator.client_context())
        cpu = cpu_seconds(sink.pid) - cpu_before
        peak = peak_memory_mib(sink.pid)
    finally:
        sink.terminate()
        sink.wait(timeout=30)
    result = Measure(
        "Puits aiosmtpd nu",
        args.messages / elapsed,
        elapsed,
        cpu / args.messages * 1000,
        client / args.messages * 1000,
        peak,
    )
    print(
        f"{result.label} : {result.rate:.0f} messages/s ({elapsed:.1f} s), mémoire "
        f"maximale {peak:.0f} Mio, CPU {result.cpu_ms:.2f} ms par message, du client "
        f"{result.client_ms:.2f} ms ; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return result


def run_postfix(
    args: argparse.Namespace, ca: TestCA, recipients: list[str], operator: Issued
) -> Measure | None:
    skipped = ensure_installed()
    if skipped:
        print(skipped, flush=True)
        return None
    issued = ca.issue("postfix", "postfix-bench.localdomain", org="Bench Postfix")
    instance = PostfixInstance(free_port(), recipients, issued.cert, issued.key, ca.cert)
    try:
        instance.start()
        cpu_before = instance.cpu_seconds()
        elapsed, client = measured_load(instance.port, recipients, args, operator.client_context())
        delivered_after = instance.wait_delivered(args.messages)
        cpu = instance.cpu_seconds() - cpu_before
        delivered = instance.delivered()
        verified = instance.verified_sessions()
    finally:
        instance.stop()
    version = subprocess.run(
        ["/usr/sbin/postconf", "-d", "-h", "mail_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    result = Measure(
        f"Postfix {version}",
        args.messages / elapsed,
        elapsed,
        cpu / args.messages * 1000,
        client / args.messages * 1000,
    )
    print(
        f"{result.label} : {result.rate:.0f} messages/s acceptés ({elapsed:.1f} s), tous "
        f"livrés dans Maildir {delivered_after:.1f} s plus tard ({delivered} fichiers), "
        f"CPU de Postfix {result.cpu_ms:.2f} ms par message (réception et livraison), du "
        f"client {result.client_ms:.2f} ms ; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(f"  sessions STARTTLS au certificat client vérifié par Postfix : {verified}")
    if delivered != args.messages:
        raise SystemExit(f"ATTENTION : {delivered} fichiers pour {args.messages} messages")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument(
        "--database-url",
        action="append",
        default=None,
        help="« sqlite » ou une URL PostgreSQL ; plusieurs fois pour mesurer chacune",
    )
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1],
        help="processus `caducee smtp` sur le même port ; plusieurs valeurs : chacune",
    )
    parser.add_argument(
        "--root",
        action="append",
        default=None,
        metavar="NOM=DOSSIER",
        help="Caducée lancé depuis ce dossier (plusieurs fois : chacun à son tour)",
    )
    parser.add_argument("--skip-sink", action="store_true")
    parser.add_argument("--skip-postfix", action="store_true")
    parser.add_argument("--profile", type=Path, help="dossier des profils py-spy de Caducée")
    parser.add_argument(
        "--profile-gil", action="store_true", help="py-spy --gil : le seul temps CPU Python"
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    urls = ["" if url == "sqlite" else url for url in (args.database_url or ["sqlite"])]

    pki_folder = Path(tempfile.mkdtemp(prefix="caducee-bench-pki-"))
    ca = TestCA(pki_folder)
    operator = ca.issue("medimail", "medimail-bench.mipih.fr", org="GIP MIPIH")
    recipients = [f"p{i}@bench.mssante.fr" for i in range(args.mailboxes)]
    print(f"Machine : {machine()}")
    print(f"Date : {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        f"Charge : {args.messages} messages de ~10 ko, {args.connections} connexions, "
        f"{args.mailboxes} boîtes ; load average avant {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    roots = [("", ROOT)]
    if args.root:
        roots = [(n, Path(d).resolve()) for n, _, d in (r.partition("=") for r in args.root)]
    caducee = [
        run_caducee(args, ca, operator, url, processes, root)
        for url in urls
        for processes in args.processes
        for root in roots
    ]
    sink = None if args.skip_sink else run_sink(args, operator, recipients)
    postfix = None if args.skip_postfix else run_postfix(args, ca, recipients, operator)
    shutil.rmtree(pki_folder, ignore_errors=True)
    print("\nRapports (messages/s acceptés) :")
    if sink and postfix:
        print(f"  Postfix / puits : {postfix.rate / sink.rate:.0%}")
    for result in caducee:
        ratios = []
        if sink:
            ratios.append(f"/ puits {result.rate / sink.rate:.0%}")
        if postfix:
            ratios.append(f"/ Postfix {result.rate / postfix.rate:.0%}")
        print(f"  {result.label} : {result.rate:.0f} msg/s, " + ", ".join(ratios))
    print(f"Charge de la machine (load average 1 min) : {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
