"""SMTP ingest benchmark: N messages of ~10 kB over C concurrent loopback connections.

Runs `caducee smtp` (inbound MTA, durability kept: fsync'd file + committed row before
250) as a separate process and measures messages per second and the server's peak
memory (VmHWM); then the same load against a bare aiosmtpd sink that stores nothing.

    .venv/bin/python bench/smtp_ingest.py                      # SQLite
    .venv/bin/python bench/smtp_ingest.py --database-url postgresql://postgres@127.0.0.1:5432/caducee_bench_mail
    .venv/bin/python bench/smtp_ingest.py --processes 2       # `caducee smtp --processes 2`

With `--processes N` the CPU time and peak memory printed are the sums over the N
server processes.

The client is a whitelisted operator of the MSSanté trust space, as the inbound MTA
requires: STARTTLS with a client certificate from a test CA the server trusts
(tests/mail/certificates.py); the bare sink is also reached over STARTTLS.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import machine  # noqa: E402
from tests.mail.certificates import TestCA, whitelist_xml  # noqa: E402

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


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def family(pid: int) -> list[int]:
    """The process and its direct children (the extra `caducee smtp --processes` ones)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed so far by the process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def prepare(env: dict[str, str], mailboxes: int) -> list[str]:
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
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=300)
    return [f"p{i}@bench.mssante.fr" for i in range(mailboxes)]


def reset_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument(
        "--processes", type=int, default=1, help="processus `caducee smtp` sur le même port"
    )
    parser.add_argument("--skip-sink", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="caducee-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    env.update(CADUCEE_HOME=str(home), DJANGO_SETTINGS_MODULE="caducee.settings")
    if args.database_url:
        reset_postgres(args.database_url)
        env["CADUCEE_DATABASE_URL"] = args.database_url
    ca = TestCA(home / "pki")
    operator = ca.issue("medimail", "medimail-bench.mipih.fr", org="GIP MIPIH")
    whitelist = home / "listeblanchemssante.xml"
    whitelist.write_bytes(whitelist_xml({"medimail.mssante.fr": operator.dn}))
    env.update(
        CADUCEE_SMTP_TRUST_ANCHORS=str(ca.cert),
        CADUCEE_MSSANTE_WHITELIST=str(whitelist),
        # one long session per connection, as the bench has always measured
        CADUCEE_SMTP_COMMAND_LIMIT=str(max(1000, args.messages)),
    )
    tls = operator.client_context()
    recipients = prepare(env, args.mailboxes)
    database = "PostgreSQL" if args.database_url else "SQLite (WAL)"
    print(f"Machine : {machine()}")
    print(
        f"Charge : {args.messages} messages de ~10 ko, {args.connections} connexions, "
        f"{args.mailboxes} boîtes ; base {database} ; {args.processes} processus serveur"
    )

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "caducee.cli.main",
            "smtp",
            "--smtp",
            f"127.0.0.1:{port}",
            "--submission",
            f"127.0.0.1:{free_port()}",
            "--no-delivery",
            "--processes",
            str(args.processes),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(server)
        servers = family(server.pid)
        cpu_before = sum(cpu_seconds(pid) for pid in servers)
        elapsed = load(port, recipients, args.messages, args.connections, tls)
        cpu = sum(cpu_seconds(pid) for pid in servers) - cpu_before
        peak = sum(peak_memory_mib(pid) for pid in servers)
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = sum(1 for _ in (home / "mail").glob("*/cur/*"))
    rate = args.messages / elapsed
    print(
        f"Caducée : {rate:.0f} messages/s ({elapsed:.1f} s), mémoire maximale du serveur "
        f"{peak:.0f} Mio, CPU du serveur {cpu / args.messages * 1000:.1f} ms par message, "
        f"{stored} fichiers stockés"
    )
    if stored != args.messages:
        print(f"ATTENTION : {stored} fichiers pour {args.messages} messages envoyés")
        return 1
    if args.skip_sink:
        return 0
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port), str(operator.cert), str(operator.key)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(sink)
        sink_cpu_before = cpu_seconds(sink.pid)
        sink_elapsed = load(port, recipients, args.messages, args.connections, tls)
        sink_cpu = cpu_seconds(sink.pid) - sink_cpu_before
        sink_peak = peak_memory_mib(sink.pid)
    finally:
        sink.terminate()
        sink.wait(timeout=30)
    sink_rate = args.messages / sink_elapsed
    print(
        f"Puits aiosmtpd nu : {sink_rate:.0f} messages/s ({sink_elapsed:.1f} s), "
        f"mémoire maximale {sink_peak:.0f} Mio, "
        f"CPU {sink_cpu / args.messages * 1000:.1f} ms par message"
    )
    print(f"Rapport Caducée / puits : {rate / sink_rate:.0%}")
    print(f"Charge de la machine (load average 1 min) : {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
