"""The IMAP server shown to users (« Mots de passe d'application »): from the configuration."""

from __future__ import annotations

from typing import Any

from caducee.mail.client_settings import SubmissionServer, imap_server


def test_the_imap_server_follows_the_configuration(settings: Any, monkeypatch: Any) -> None:
    settings.SMTP_HOSTNAME = "mail.ch-a.fr"
    settings.SUBMISSION_PUBLIC = ""
    settings.IMAP_PUBLIC = ""
    monkeypatch.delenv("CADUCEE_IMAP", raising=False)
    assert imap_server() == SubmissionServer("mail.ch-a.fr", 1143)
    monkeypatch.setenv("CADUCEE_IMAP", "0.0.0.0:143")
    assert imap_server() == SubmissionServer("mail.ch-a.fr", 143)
    settings.IMAP_PUBLIC = "imap.ch-a.fr:993"
    assert imap_server() == SubmissionServer("imap.ch-a.fr", 993)
    monkeypatch.setenv("CADUCEE_IMAP", "off")
    assert imap_server() == SubmissionServer("imap.ch-a.fr", 993)  # e.g. behind a TLS proxy
    settings.IMAP_PUBLIC = ""
    assert imap_server() is None  # no IMAP: the page says mail is read in the webmail
