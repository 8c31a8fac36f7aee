"""The national MSSanté directory (other operators' mailboxes): what the import operation
and the scheduler need around `national_load`: the file (plain or zipped, local or
downloaded), the platform's own domains, the summary, and who may search it."""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from django.conf import settings

from caducee.accounts.models import AccountType
from caducee.core.errors import Invalid
from caducee.directory.national_file import SKIP_REASONS
from caducee.people.models import User
from caducee.structures.models import PlatformDomain, Structure


@dataclass(frozen=True)
class NationalImportSummary:
    source: str
    lines_read: int
    entries: int
    skipped: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    replaced: bool = False  # a previous generation was in service

    @property
    def lines_skipped(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The summary in French, one line each."""
        out = [
            f"Annuaire national chargé : {self.source}",
            f"Lignes lues : {self.lines_read}",
            f"Boîtes des autres opérateurs retenues : {self.entries}",
            f"Lignes écartées : {self.lines_skipped}",
        ]
        out += [f"  - {SKIP_REASONS[k]} : {n}" for k, n in sorted(self.skipped.items())]
        if self.examples:
            out.append("Premières lignes écartées :")
            out += [f"  - {example}" for example in self.examples]
        if self.replaced:
            out.append("L'annuaire national précédent est remplacé.")
        return out


def platform_domains() -> set[str]:
    """Every MSSanté domain of this platform: structures' own and declared shared ones."""
    own = Structure.objects.exclude(domain=None).exclude(domain="").values_list("domain", flat=True)
    declared = PlatformDomain.objects.values_list("name", flat=True)
    return {d.lower() for d in own if d} | {d.lower() for d in declared}


@contextmanager
def opened(source: Path) -> Iterator[BinaryIO]:
    """The file, or the one .txt/.csv file inside a ZIP archive as downloaded."""
    try:
        if not zipfile.is_zipfile(source):
            with source.open("rb") as stream:
                yield stream
            return
        archive = zipfile.ZipFile(source)
    except OSError as exc:
        raise Invalid(f"Fichier illisible : {source} ({exc.strerror}).") from None
    except zipfile.BadZipFile as exc:
        raise Invalid(f"Archive ZIP illisible : {source.name} ({exc}).") from None
    with archive:
        names = archive.namelist()
        members = [n for n in names if n.lower().endswith((".txt", ".csv"))]
        if len(members) != 1:
            raise Invalid(
                f"Archive refusée : {source.name} doit contenir un fichier .txt (ou .csv), "
                f"et un seul (contenu : {', '.join(names[:10]) or 'aucun fichier'})."
            )
        with archive.open(members[0]) as member:
            yield cast(BinaryIO, member)


def download(url: str, directory: Path | None = None) -> Path:
    """Copy the file at `url` into a temporary file (streamed); the caller deletes it."""
    if not url.startswith(("https://", "http://")):
        raise Invalid(
            f"Adresse refusée : {url} (CADUCEE_DIRECTORY_NATIONAL_URL doit commencer par "
            "https:// ou http://)."
        )
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, deleted by the caller
        prefix="caducee-national-", suffix=".download", dir=directory, delete=False
    )
    path = Path(handle.name)
    timeout = settings.DIRECTORY_NATIONAL_TIMEOUT
    try:
        with handle, urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            shutil.copyfileobj(response, handle, 1 << 20)
    except urllib.error.HTTPError as exc:
        path.unlink(missing_ok=True)
        raise Invalid(
            f"Téléchargement de l'annuaire national refusé : {url} a répondu HTTP {exc.code}."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        path.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise Invalid(
            f"Téléchargement de l'annuaire national impossible : {url} ({reason}). "
            "Vérifiez l'adresse et l'accès réseau du serveur."
        ) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def may_search_national(user: User | None) -> bool:
    """National results for a person whose own mailbox is PER, INT (or ORG/APP), never for
    a MED account (seed 002 §2); platform operators see them too."""
    from caducee.identity.mailboxes import own_account

    if user is None:
        return False
    account = own_account(user)
    if account is None:
        return bool(user.is_operator)
    return account.type != AccountType.MED
