"""Settings of the platform's file storage, read from the environment (docs/STORAGE.md).

`CADUCEE_STORAGE_URL` selects Django's `default` storage, through which documents,
import uploads and exports go:

- empty: files under MEDIA_ROOT (CADUCEE_HOME/files), written durably;
- `file:///absolute/folder`: the same, under another folder (a shared mount);
- `s3://bucket[/prefix]?endpoint=…&region=…&addressing=path|virtual&ca=/file.pem`: an
  S3-compatible object store through django-storages. Credentials never go in the URL:
  CADUCEE_STORAGE_KEY / CADUCEE_STORAGE_SECRET (or their _FILE), else boto3's own
  (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, instance roles…).

`CADUCEE_MAIL_ROOT` is the folder of the message store (Maildir), checked on start.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from caducee.config import ConfigError, env_secret

FILESYSTEM_BACKEND = "caducee.storage.filesystem.DurableFileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
S3_PARAMETERS = ("endpoint", "region", "addressing", "ca")
# Downloads from the object store stay in memory up to this size, then spill to disk.
S3_MAX_MEMORY_BYTES = 4 * 1024 * 1024

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9._-]+$")
_EXAMPLE = "s3://seau/prefixe?endpoint=https://s3.exemple.fr&region=fr-par"


def _fail(message: str) -> ConfigError:
    return ConfigError(f"CADUCEE_STORAGE_URL : {message}")


# Documents, import uploads and exports hold personal and health data: owner only (the
# static files, served by nginx, live in another storage and keep the usual modes).
PRIVATE_FILES: dict[str, Any] = {
    "file_permissions_mode": 0o600,
    "directory_permissions_mode": 0o700,
}


def default_storage_settings(url: str) -> dict[str, Any]:
    """The STORAGES["default"] entry for CADUCEE_STORAGE_URL."""
    url = url.strip()
    if not url:
        return {"BACKEND": FILESYSTEM_BACKEND, "OPTIONS": dict(PRIVATE_FILES)}
    parts = urlsplit(url)
    if parts.scheme == "file":
        options = {**PRIVATE_FILES, "location": _file_location(url)}
        return {"BACKEND": FILESYSTEM_BACKEND, "OPTIONS": options}
    if parts.scheme == "s3":
        return {"BACKEND": S3_BACKEND, "OPTIONS": _s3_options(url)}
    raise _fail(
        f"schéma {parts.scheme!r} non pris en charge (utilisez {_EXAMPLE} "
        "ou file:///dossier/absolu)."
    )


def _file_location(url: str) -> str:
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.netloc or parts.query or parts.fragment or not path.startswith("/"):
        raise _fail(f"attendu file:///dossier/absolu (valeur lue : {url!r}).")
    return path


def _s3_options(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise _fail(
            "ne mettez pas d'identifiants dans l'URL : utilisez CADUCEE_STORAGE_KEY et "
            "CADUCEE_STORAGE_SECRET (ou AWS_ACCESS_KEY_ID et AWS_SECRET_ACCESS_KEY)."
        )
    if ":" in parts.netloc:
        raise _fail(
            "le port du serveur va dans le paramètre endpoint, pas après le nom du seau "
            f"(exemple : {_EXAMPLE})."
        )
    bucket = parts.netloc
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise _fail(
            f"nom de seau {bucket!r} invalide (3 à 63 caractères : minuscules, chiffres, "
            f"points, tirets ; exemple : {_EXAMPLE})."
        )
    if parts.fragment:
        raise _fail("une URL de stockage n'a pas de fragment (#…).")
    prefix = unquote(parts.path).strip("/")
    if prefix and not all(
        _PREFIX_PART.match(p) and p not in {".", ".."} for p in prefix.split("/")
    ):
        raise _fail(
            f"préfixe {prefix!r} invalide (lettres, chiffres, points, tirets, soulignés, "
            "séparés par /)."
        )
    params = _parameters(parts.query)
    endpoint = params.get("endpoint", "")
    if endpoint:
        target = urlsplit(endpoint)
        if (
            target.scheme not in {"http", "https"}
            or not target.hostname
            or target.path not in {"", "/"}
            or target.query
            or target.username
        ):
            raise _fail(
                f"endpoint {endpoint!r} invalide : attendu http(s)://hôte[:port], "
                "sans chemin ni identifiants."
            )
        try:
            target.port  # noqa: B018  # raises on a malformed port
        except ValueError:
            raise _fail(f"port invalide dans endpoint {endpoint!r}.") from None
    region = params.get("region", "")
    if region and not _REGION.match(region):
        raise _fail(f"région {region!r} invalide (minuscules, chiffres et tirets).")
    addressing = params.get("addressing", "path" if endpoint else "auto")
    if addressing not in {"path", "virtual", "auto"}:
        raise _fail(f"addressing vaut path ou virtual (valeur lue : {addressing!r}).")
    ca = params.get("ca", "")
    if ca and not Path(ca).is_file():
        raise _fail(f"fichier de certificats (ca) introuvable : {ca}.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": prefix,
        "endpoint_url": endpoint.rstrip("/") or None,
        "region_name": region or None,
        "addressing_style": None if addressing == "auto" else addressing,
        "verify": ca or None,
        "signature_version": "s3v4",  # what AWS and every S3-compatible server accept
        # Private objects: no ACL is sent, so each object keeps the bucket's (private)
        # one; url() would only give signed, expiring links, and the platform never
        # hands any out: downloads go through its views, which check permissions.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "max_memory_size": S3_MAX_MEMORY_BYTES,
    }
    options.update(_credentials())
    return options


def _parameters(query: str) -> dict[str, str]:
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _fail(f"paramètres illisibles après « ? » ({query!r}).") from None
    for name, values in parsed.items():
        if name not in S3_PARAMETERS:
            raise _fail(f"paramètre {name!r} inconnu (admis : {', '.join(S3_PARAMETERS)}).")
        if len(values) > 1:
            raise _fail(f"paramètre {name!r} donné plusieurs fois.")
    return {name: values[0].strip() for name, values in parsed.items()}


def _credentials() -> dict[str, str]:
    key = env_secret("CADUCEE_STORAGE_KEY")
    secret = env_secret("CADUCEE_STORAGE_SECRET")
    if bool(key) != bool(secret):
        raise ConfigError(
            "CADUCEE_STORAGE_KEY et CADUCEE_STORAGE_SECRET vont ensemble : donnez les deux, "
            "ou aucun (les identifiants viennent alors de AWS_ACCESS_KEY_ID et "
            "AWS_SECRET_ACCESS_KEY)."
        )
    return {"access_key": key, "secret_key": secret} if key else {}


def mail_root(raw: str, home: Path) -> Path:
    """The message store's folder: CADUCEE_MAIL_ROOT, else CADUCEE_HOME/mail (created).

    Every process that reads or writes messages (web, smtp, worker) must see the same
    folder; a folder set explicitly must already exist (a shared mount that is not
    mounted is refused rather than filled on the local disk, when its mount point is
    missing) and is checked writable on start.
    """
    if not raw.strip():
        root = home / "mail"
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(raw.strip())
        if not root.is_absolute():
            raise ConfigError(
                f"CADUCEE_MAIL_ROOT doit être un chemin absolu (valeur lue : {raw!r})."
            )
        if not root.is_dir():
            raise ConfigError(
                f"CADUCEE_MAIL_ROOT : le dossier {root} n'existe pas. Montez le stockage "
                "partagé des messages (ou créez le dossier) avant de démarrer."
            )
    _check_writable(root)
    return root


def _check_writable(root: Path) -> None:
    """Write, fsync and remove a probe file, as the mail store does for each message."""
    host = socket.gethostname().replace("/", "_")
    probe = root / f".caducee-probe.{host}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"caducee")
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"Stockage des messages : impossible d'écrire dans {root} "
            f"({exc.strerror or exc}). Vérifiez le montage et les droits de ce dossier "
            "(CADUCEE_MAIL_ROOT) pour l'utilisateur du service."
        ) from None
