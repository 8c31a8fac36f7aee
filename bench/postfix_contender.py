"""Postfix from Debian as a contender of `bench/smtp_ingest.py`: a private, throw-away
instance on a loopback port, delivering a virtual domain to Maildir folders.

- Installed with apt-get when absent and the script runs as root (debconf answer « No
  configuration »: the package sets up no system mail service, nothing listens on port 25);
  skipped with a message otherwise.
- Its own configuration directory (`postfix -c DIR`), queue, data and Maildir folders
  under a temporary folder; every service without chroot; the SMTP service on
  127.0.0.1:<free port> only. `stop()` stops its master (by its pid) and removes nothing
  else: the system's Postfix, if any, is never touched.
- Default durability: Postfix's `cleanup` fsyncs the queue file before smtpd answers 250;
  `virtual` then writes each message into `<base>/<mailbox>/new/` (Maildir), asynchronously.
- TLS as the Caducée inbound MTA: STARTTLS required (`smtpd_tls_security_level =
  encrypt`), a client certificate required and verified against the same test CA
  (`smtpd_tls_req_ccert`), recipients checked against the virtual mailbox list.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

POSTFIX = "/usr/sbin/postfix"
MASTER_CF_DIST = Path("/usr/share/postfix/master.cf.dist")


def ensure_installed() -> str:
    """ "" when Postfix is there (or was just installed); else why it is skipped."""
    if Path(POSTFIX).exists():
        return ""
    if os.geteuid() != 0:
        return "Postfix absent et script lancé sans les droits root : concurrent Postfix sauté"
    if shutil.which("apt-get") is None:
        return "Postfix absent et pas d'apt-get sur cette machine : concurrent Postfix sauté"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    answer = "postfix postfix/main_mailer_type select No configuration\n"
    subprocess.run(["debconf-set-selections"], input=answer, text=True, check=True, env=env)
    print("Installation de Postfix (apt-get, « No configuration »)…", flush=True)
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postfix"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"installation de Postfix impossible : {done.stderr.strip()[-300:]}"
    return "" if Path(POSTFIX).exists() else "Postfix introuvable après installation"


def master_cf(port: int) -> str:
    """Debian's default master.cf, the SMTP service moved to 127.0.0.1:<port>, no chroot."""
    lines = []
    for line in MASTER_CF_DIST.read_text().splitlines():
        fields = line.split()
        if line and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
            if fields[0] == "smtp" and fields[1] == "inet":
                fields[0] = f"127.0.0.1:{port}"
            fields[4] = "n"  # chroot: the queue is in a temporary folder
            line = " ".join(fields[:7]) + " " + " ".join(fields[7:])
        lines.append(line)
    return "\n".join(lines) + "\n"


def main_cf(folder: Path, domain: str, uid: int, gid: int, tls: dict[str, Path]) -> str:
    return f"""\
compatibility_level = 3.6
queue_directory = {folder}/queue
data_directory = {folder}/data
mail_owner = postfix
myhostname = postfix-bench.localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
maillog_file = {folder}/postfix.log
maillog_file_prefixes = {folder}
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {folder}/mail
virtual_mailbox_maps = texthash:{folder}/etc/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = encrypt
smtpd_tls_req_ccert = yes
smtpd_tls_ask_ccert = yes
smtpd_tls_cert_file = {tls["cert"]}
smtpd_tls_key_file = {tls["key"]}
smtpd_tls_CAfile = {tls["ca"]}
smtpd_tls_loglevel = 1
"""


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class PostfixInstance:
    """One private Postfix: `start()`, the load, `wait_delivered()`, `stop()`."""

    def __init__(self, port: int, recipients: list[str], cert: Path, key: Path, ca: Path) -> None:
        self.port, self.recipients = port, recipients
        self.folder = Path(tempfile.mkdtemp(prefix="caducee-bench-postfix-"))
        self.folder.chmod(0o755)  # the delivery agent (nobody) walks down to the Maildirs
        self.config = self.folder / "etc"
        self.master_pid = 0
        self.tls = {"cert": cert, "key": key, "ca": ca}

    def _postfix(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [POSTFIX, "-c", str(self.config), *command],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "MAIL_CONFIG": str(self.config)},
        )

    def start(self) -> None:
        nobody = pwd.getpwnam("nobody")
        self.config.mkdir()
        tls = {}
        for name, source in self.tls.items():  # read by smtpd as root before it drops them
            tls[name] = self.config / f"tls-{name}.pem"
            shutil.copyfile(source, tls[name])
            tls[name].chmod(0o600 if name == "key" else 0o644)
        domain = self.recipients[0].rpartition("@")[2]
        (self.config / "main.cf").write_text(
            main_cf(self.folder, domain, nobody.pw_uid, nobody.pw_gid, tls)
        )
        (self.config / "master.cf").write_text(master_cf(self.port))
        (self.config / "vmailbox").write_text(
            "".join(f"{r} {r.partition('@')[0]}/\n" for r in self.recipients)
        )
        (self.folder / "queue").mkdir(mode=0o755)  # root's; `postfix start` fills it
        mail = self.folder / "mail"
        mail.mkdir()
        os.chown(mail, nobody.pw_uid, nobody.pw_gid)
        started = self._postfix("start")
        pid_file = self.folder / "queue" / "pid" / "master.pid"
        for _ in range(100):
            if pid_file.exists() and pid_file.read_text().strip():
                self.master_pid = int(pid_file.read_text().strip())
                break
            time.sleep(0.1)
        if not self.master_pid:
            raise RuntimeError(f"Postfix n'a pas démarré : {started.stderr}{self.log_tail()}")
        for _ in range(100):  # the master listens once its services are set up
            if self.port_open():
                return
            time.sleep(0.1)
        raise RuntimeError(f"Postfix n'écoute pas sur son port : {self.log_tail()}")

    def log_tail(self) -> str:
        log = self.folder / "postfix.log"
        return "\n".join(log.read_text().splitlines()[-10:]) if log.exists() else ""

    def port_open(self) -> bool:
        import socket

        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def cpu_seconds(self) -> float:
        """CPU of the master, of its children that ended (reaped by it) and of the live ones."""
        ticks = 0
        pids = [self.master_pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.master_pid:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        for pid in pids:
            try:
                fields = _stat_fields(pid)
            except OSError:
                continue
            ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
        return ticks / os.sysconf("SC_CLK_TCK")

    def delivered(self) -> int:
        return sum(1 for _ in (self.folder / "mail").glob("*/new/*")) + sum(
            1 for _ in (self.folder / "mail").glob("*/cur/*")
        )

    def wait_delivered(self, expected: int, timeout: float = 600) -> float:
        """Seconds until `expected` files are in the Maildirs (or the timeout)."""
        start = time.perf_counter()
        while self.delivered() < expected and time.perf_counter() - start < timeout:
            time.sleep(0.05)
        return time.perf_counter() - start

    def verified_sessions(self) -> int:
        """Sessions whose client certificate Postfix verified (its log, read before `stop`)."""
        log = self.folder / "postfix.log"
        text = log.read_text() if log.exists() else ""
        return text.count("Trusted TLS connection established") + text.count(
            "Verified TLS connection established"
        )

    def stop(self) -> None:
        """Stop this instance (its master, by pid) and remove its folder."""
        if self.master_pid:
            self._postfix("stop")
            for _ in range(100):
                if not Path(f"/proc/{self.master_pid}").exists():
                    break
                time.sleep(0.1)
            else:
                self._postfix("abort")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.master_pid, 9)
        shutil.rmtree(self.folder, ignore_errors=True)
