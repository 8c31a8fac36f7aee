"""Routing: which mailbox an address means, and where mail for other domains may go.

- An account's MSSanté address is `particle@structure domain` (directory contract); on a
  shared domain (structures/domains.py) the particle alone tells the structures apart.
- Inside the platform, an account's own email address also reaches it (never leaves).
- Outside, only MSSanté domains: the national whitelist plus the configured routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.db import connection

from caducee.accounts.models import Account, AccountState
from caducee.config import ConfigError
from caducee.core.errors import Invalid, Problem
from caducee.directory import addresses as directory_addresses
from caducee.mail.models import WhitelistDomain
from caducee.structures.models import PlatformDomain, Structure

_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# `local@domain` in dot-atoms (RFC 5322 §3.4.1), the common form, read without parseaddr
# (several per received message; parseaddr costs about 10 µs each).
_DOT_ATOM_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")


def mssante_address(account: Account) -> str:
    """The account's MSSanté address, or "" when it has none (the directory's formula)."""
    return str(directory_addresses.mssante_address(account) or "").lower()


def sender_address(account: Account) -> str:
    """The address the mailbox writes from: its MSSanté address, else its account email."""
    return mssante_address(account) or account.email.lower()


def normalise(address: str) -> str:
    """Bare lower-case address from `Name <a@b>` or `a@b`; "" when not an address."""
    address = address.strip()
    if _DOT_ATOM_ADDRESS.fullmatch(address):  # what parseaddr returns as it is (tested)
        addr = address.lower()
    else:
        _, addr = parseaddr(address)
        addr = addr.strip().lower()
    return addr if _ADDRESS.match(addr) else ""


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def local_by_mssante(address: str) -> Account | None:
    """The account whose MSSanté address this is (what other servers may write to)."""
    local, _, domain = address.lower().partition("@")
    if not local or not domain:
        return None
    return (
        Account.objects.select_related("structure")
        # Particles are stored lower-case (field spec): an exact match uses their index.
        .filter(structure__domain__iexact=domain, mssante_particle=local)
        .exclude(state__in=AccountState.closed())
        .first()
    )


def inbound_mailbox(address: str) -> tuple[int, str] | None:
    """`local_by_mssante` for the SMTP hot path: (mailbox id, type), one SQL statement.

    Written in SQL because compiling the ORM query costs more than running it, on every
    RCPT of every message; same conditions as `local_by_mssante`.
    """
    local, _, domain = address.lower().partition("@")
    if not local or not domain:
        return None
    accounts, structures = Account._meta.db_table, Structure._meta.db_table
    sql = (
        f"SELECT a.id, a.type FROM {accounts} a JOIN {structures} s ON s.id = a.structure_id "  # noqa: S608 - table names from the models
        "WHERE LOWER(s.domain) = %s AND a.mssante_particle = %s AND a.state NOT IN (%s, %s) "
        "LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [domain, local, *AccountState.closed()])
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def local_account(address: str) -> Account | None:
    """Inside the platform: an MSSanté address, or any account's own email address."""
    account = local_by_mssante(address)
    if account is not None:
        return account
    return (
        Account.objects.select_related("structure")
        .filter(email__iexact=address)
        .exclude(state__in=AccountState.closed())
        .first()
    )


def is_platform_domain(domain: str) -> bool:
    """A structure's domain (its own or a shared one), or a domain the operator declared."""
    domain = domain.lower()
    return (
        Structure.objects.filter(domain__iexact=domain).exists()
        or PlatformDomain.objects.filter(name=domain).exists()
    )


def routes() -> dict[str, tuple[str, int]]:
    """CADUCEE_SMTP_ROUTES="dom=host:port,dom2=host" as {domain: (host, port)}."""
    result: dict[str, tuple[str, int]] = {}
    raw = str(settings.SMTP_ROUTES or "")
    for item in filter(None, (part.strip() for part in raw.split(","))):
        domain, sep, target = item.partition("=")
        host, _, port = target.strip().rpartition(":") if ":" in target else (target, "", "25")
        if not sep or not domain.strip() or not host.strip():
            raise ConfigError(
                f"CADUCEE_SMTP_ROUTES : entrée {item!r} invalide, attendu domaine=hôte:port."
            )
        try:
            result[domain.strip().lower()] = (host.strip().strip("[]"), int(port))
        except ValueError:
            raise ConfigError(f"CADUCEE_SMTP_ROUTES : port invalide dans {item!r}.") from None
    return result


def is_mssante_domain(domain: str) -> bool:
    domain = domain.lower()
    if domain in routes() or domain == settings.PATIENT_DOMAIN:
        return True
    return WhitelistDomain.objects.filter(name=domain).exists()


def is_test_account(account: Account) -> bool:
    """A test mailbox (« Compte de test MSSANTE », seed 004 §3.2.2): flagged, or its
    MSSanté particle starts with `test.`."""
    return account.is_test or directory_addresses.is_test_particle(account.mssante_particle)


def test_refusal(sender_is_test: bool, recipient: str, recipient_is_test: bool) -> str:
    """Test addresses exchange mail only with test addresses: the French reason when this
    pair may not, else "" (docs/MESSAGING.md, « Adresses de test »)."""
    if sender_is_test and not recipient_is_test:
        return (
            f"{recipient} n'est pas une adresse de test : une boîte de test ne peut écrire "
            "qu'à des adresses de test (particule commençant par « test. »)."
        )
    if recipient_is_test and not sender_is_test:
        return (
            f"{recipient} est une adresse de test : elle ne reçoit que les messages "
            "d'autres adresses de test (particule commençant par « test. »)."
        )
    return ""


def inbound_test_refusal(sender: str, recipient: str) -> str:
    """From another operator: test addresses on both sides or on neither (the recipient is
    an MSSanté address, whose particle says whether it is a test one). A bounce (null
    sender) always passes."""
    sender, recipient = normalise(sender), normalise(recipient) or recipient.lower()
    if not sender:
        return ""
    return test_refusal(
        directory_addresses.is_test_address(sender),
        recipient,
        directory_addresses.is_test_address(recipient),
    )


@dataclass(frozen=True)
class Recipient:
    address: str
    account: Account | None  # set when delivered inside the platform

    @property
    def is_local(self) -> bool:
        return self.account is not None


def check_recipients(sender: Account, addresses: list[str], field: str = "to") -> list[Recipient]:
    """Each address resolved inside or allowed outside; a French message for each refusal."""
    found: list[Recipient] = []
    problems: list[Problem] = []
    may_leave = bool(mssante_address(sender))
    sender_is_test = is_test_account(sender)
    for raw in addresses:
        address = normalise(raw)
        if not address:
            problems.append(
                Problem(field, "address", f"« {raw.strip()} » n'est pas une adresse mail valide.")
            )
            continue
        account = local_account(address)
        testing = test_refusal(
            sender_is_test,
            address,
            is_test_account(account)
            if account is not None
            else directory_addresses.is_test_address(address),
        )
        if testing:
            problems.append(Problem(field, "test_address", testing))
            continue
        if account is not None:
            found.append(Recipient(address, account))
            continue
        domain = domain_of(address)
        if is_platform_domain(domain):
            problems.append(
                Problem(field, "unknown", f"{address} : aucune boîte de ce nom sur la plateforme.")
            )
        elif not is_mssante_domain(domain):
            problems.append(
                Problem(
                    field,
                    "not_mssante",
                    f"{address} : le domaine {domain} n'appartient pas à l'espace de confiance "
                    "MSSanté. Seules les adresses MSSanté (liste blanche nationale) et les "
                    "utilisateurs de la plateforme peuvent être destinataires.",
                )
            )
        elif not may_leave:
            problems.append(
                Problem(
                    field,
                    "no_mssante",
                    f"{address} : cette boîte n'a pas d'adresse MSSanté, elle ne peut écrire "
                    "qu'aux utilisateurs de la plateforme.",
                )
            )
        else:
            found.append(Recipient(address, None))
    if problems:
        raise Invalid("Destinataire refusé : " + problems[0].message, problems)
    return found


def may_send_as(user_accounts: list[Account], address: str) -> Account | None:
    """The mailbox among those the person may open whose address this is."""
    address = address.lower()
    for account in user_accounts:
        if address in {sender_address(account), account.email.lower(), mssante_address(account)}:
            return account
    return None
