"""SMTP replies come from `Problem.code` through one table (`mail/smtp/codes.py`), never
from the French text of a refusal: rewording a message keeps the SMTP semantics."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.mail import addresses
from caducee.mail.smtp import codes
from caducee.mail.smtp.decisions import submission_rcpt


@pytest.mark.parametrize(
    ("code", "reply"),
    [
        ("address", codes.BAD_ADDRESS),
        ("unknown", codes.UNKNOWN_USER),
        ("not_mssante", codes.NOT_MSSANTE),
        ("no_mssante", codes.NOT_MSSANTE),
        ("something_new", codes.RECIPIENT_DEFAULT),
    ],
)
def test_each_problem_code_maps_to_its_reply(code: str, reply: str) -> None:
    refusal = Invalid("N'importe quel texte.", [Problem("to", code, "Texte libre.")])
    assert codes.recipient_reply(refusal) == reply


def test_a_refusal_without_problem_is_a_policy_refusal() -> None:
    assert codes.recipient_reply(NotFound("Boîte introuvable.")) == codes.RECIPIENT_DEFAULT
    assert codes.message_refused(Invalid("Motif.")) == "550 5.7.1 Motif."


def test_every_reply_is_a_well_formed_smtp_line() -> None:
    names = [n for n in dir(codes) if n.isupper() and isinstance(getattr(codes, n), str)]
    assert len(names) >= 15
    for name in names:
        value: str = getattr(codes, name)
        status, _, rest = value.partition(" ")
        assert status.isdigit() and len(status) == 3 and status[0] in "2345", name
        assert rest.split(" ", 1)[0].startswith(status[0] + "."), name  # enhanced code


def test_every_code_of_check_recipients_is_in_the_table() -> None:
    import inspect

    source = inspect.getsource(addresses.check_recipients)
    emitted = {"address", "unknown", "not_mssante", "no_mssante"}
    for code in emitted:
        assert f'"{code}"' in source
    assert emitted <= set(codes.RECIPIENT_REPLIES)


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("pas une adresse", "501 5.1.3"),
        ("nobody@ch-a.mssante.fr", "550 5.1.1"),
        ("x@gmail.com", "550 5.7.1"),
    ],
)
def test_rewording_the_french_messages_keeps_the_smtp_code(
    martine: Account, monkeypatch: Any, address: str, status: str
) -> None:
    assert submission_rcpt(martine, address).startswith(status)
    original = addresses.check_recipients

    def reworded(sender: Account, found: list[str], field: str = "to") -> list[Any]:
        try:
            return original(sender, found, field)
        except Invalid as exc:
            problems = [Problem(p.field, p.code, "Texte réécrit.") for p in exc.problems]
            raise Invalid("Refus réécrit.", problems) from None

    monkeypatch.setattr(addresses, "check_recipients", reworded)
    assert submission_rcpt(martine, address).startswith(status)


def test_a_message_of_the_old_wording_under_another_code_follows_the_code(
    martine: Account, monkeypatch: Any
) -> None:
    """The old adapter matched « n'est pas une adresse » in the text: a domain refusal whose
    text happens to say so still answers as a domain refusal."""

    def refuse(sender: Account, found: list[str], field: str = "to") -> list[Any]:
        message = "x@gmail.com n'est pas une adresse de l'espace de confiance."
        raise Invalid(message, [Problem(field, "not_mssante", message)])

    monkeypatch.setattr(addresses, "check_recipients", refuse)
    assert submission_rcpt(martine, "x@gmail.com").startswith("550 5.7.1")
