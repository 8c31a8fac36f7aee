"""CADUCEE_STORAGE_URL and CADUCEE_MAIL_ROOT (caducee/storage/config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caducee.config import ConfigError
from caducee.storage.config import (
    FILESYSTEM_BACKEND,
    S3_BACKEND,
    default_storage_settings,
    mail_root,
)


@pytest.fixture(autouse=True)
def _no_storage_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CADUCEE_STORAGE_KEY", "CADUCEE_STORAGE_SECRET"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def test_empty_is_files_under_media_root() -> None:
    assert default_storage_settings("") == {
        "BACKEND": FILESYSTEM_BACKEND,
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }


def test_file_url_is_another_folder() -> None:
    entry = default_storage_settings("file:///srv/caducee/fichiers")
    assert entry == {
        "BACKEND": FILESYSTEM_BACKEND,
        "OPTIONS": {
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
            "location": "/srv/caducee/fichiers",
        },
    }


def test_s3_url() -> None:
    entry = default_storage_settings(
        "s3://caducee-docs/prod/site-1?endpoint=http://127.0.0.1:9000&region=fr-par"
    )
    assert entry["BACKEND"] == S3_BACKEND
    options = entry["OPTIONS"]
    assert options["bucket_name"] == "caducee-docs" and options["location"] == "prod/site-1"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert options["region_name"] == "fr-par" and options["addressing_style"] == "path"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert "access_key" not in options  # boto3's own chain (AWS_ACCESS_KEY_ID…)


def test_s3_on_aws_defaults() -> None:
    options = default_storage_settings("s3://caducee-docs")["OPTIONS"]
    assert options["location"] == "" and options["endpoint_url"] is None
    assert options["addressing_style"] is None and options["region_name"] is None


def test_credentials_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("CADUCEE_STORAGE_KEY", "cle")
    monkeypatch.setenv("CADUCEE_STORAGE_SECRET_FILE", str(secret))
    options = default_storage_settings("s3://caducee-docs")["OPTIONS"]
    assert (options["access_key"], options["secret_key"]) == ("cle", "s3cr3t")
    monkeypatch.delenv("CADUCEE_STORAGE_SECRET_FILE")
    with pytest.raises(ConfigError, match="vont ensemble"):
        default_storage_settings("s3://caducee-docs")


def test_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    url = f"s3://caducee-docs?endpoint=https://s3.local&ca={ca}"
    assert default_storage_settings(url)["OPTIONS"]["verify"] == str(ca)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://serveur/dossier", "schéma 'ftp' non pris en charge"),
        ("file://hote/dossier", "file:///dossier/absolu"),
        ("file:relatif", "file:///dossier/absolu"),
        ("s3://cle:secret@caducee-docs", "identifiants"),
        ("s3://caducee-docs:9000", "le port du serveur va dans le paramètre endpoint"),
        ("s3://", "nom de seau '' invalide"),
        ("s3://Caducee_Docs", "nom de seau 'Caducee_Docs' invalide"),
        ("s3://caducee-docs/a/../b", "préfixe"),
        ("s3://caducee-docs?endpoint=127.0.0.1:9000", "endpoint '127.0.0.1:9000' invalide"),
        ("s3://caducee-docs?endpoint=http://h:99999", "port invalide"),
        ("s3://caducee-docs?endpoint=http://h/chemin", "sans chemin"),
        ("s3://caducee-docs?region=Paris", "région 'Paris' invalide"),
        ("s3://caducee-docs?addressing=dns", "addressing vaut path ou virtual"),
        ("s3://caducee-docs?bucket=x", "paramètre 'bucket' inconnu"),
        ("s3://caducee-docs?region=a&region=b", "plusieurs fois"),
        ("s3://caducee-docs?region", "paramètres illisibles"),
        ("s3://caducee-docs?ca=/nulle/part.pem", "introuvable"),
    ],
)
def test_malformed_urls_get_a_french_message(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        default_storage_settings(url)
    assert str(exc.value).startswith("CADUCEE_STORAGE_URL : ") and message in str(exc.value)


def test_mail_root_defaults_under_home(tmp_path: Path) -> None:
    assert mail_root("", tmp_path) == tmp_path / "mail"
    assert (tmp_path / "mail").is_dir() and not list((tmp_path / "mail").iterdir())


def test_mail_root_set_explicitly_must_exist(tmp_path: Path) -> None:
    shared = tmp_path / "partage"
    with pytest.raises(ConfigError, match=r"n'existe pas\. Montez le stockage partagé"):
        mail_root(str(shared), tmp_path)
    assert not shared.exists()  # never created on the local disk
    shared.mkdir()
    assert mail_root(str(shared), tmp_path) == shared
    with pytest.raises(ConfigError, match="chemin absolu"):
        mail_root("relatif/mail", tmp_path)


def test_mail_root_not_writable_is_refused_on_start() -> None:
    """/proc stands for a read-only mount: nobody, root included, creates files there."""
    with pytest.raises(ConfigError, match="impossible d'écrire dans /proc"):
        mail_root("/proc", Path("/nonexistent"))
