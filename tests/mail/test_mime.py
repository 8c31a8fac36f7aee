from __future__ import annotations

from typing import Any

import pytest

from caducee.core.errors import Invalid
from caducee.mail import mime


def test_attachment_names_are_sanitised() -> None:
    assert mime.sanitise_filename("../../etc/passwd") == "passwd"
    assert mime.sanitise_filename("C:\\Windows\\evil.exe") == "evil.exe"
    assert mime.sanitise_filename("a\x00b\r\nc.pdf") == "abc.pdf"
    assert mime.sanitise_filename('bad<>:"|?*.txt') == "bad_______.txt"
    assert mime.sanitise_filename("...") == "piece-jointe"
    assert mime.sanitise_filename(None) == "piece-jointe"
    long = mime.sanitise_filename("x" * 500 + ".pdf")
    assert len(long) <= mime.MAX_FILENAME and long.endswith(".pdf")
    assert mime.sanitise_filename("compte rendu é.pdf") == "compte rendu é.pdf"


def test_compose_and_parse_round_trip_with_attachment() -> None:
    draft = mime.Draft(
        sender="martine.dubois@ch-a.mssante.fr",
        sender_name="DUBOIS Martine",
        to=["paul.martin@ch-a.mssante.fr"],
        subject="Résultats d'analyse",
        body="Bonjour,\nci-joint.",
        attachments=[mime.Attachment("../résultat.pdf", "application/pdf", b"%PDF-1.4 x")],
    )
    parsed = mime.parse(mime.compose(draft, domain="ch-a.mssante.fr"))
    assert parsed.subject == "Résultats d'analyse"
    assert parsed.text.startswith("Bonjour,")
    assert [(a.filename, a.data) for a in parsed.attachments] == [("résultat.pdf", b"%PDF-1.4 x")]
    assert parsed.message_id.endswith("@ch-a.mssante.fr>")


def test_hostile_attachment_name_in_a_received_message() -> None:
    raw = (
        b"From: a@b.mssante.fr\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b"Content-Type: text/plain\r\n\r\ntexte\r\n--B\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        b'filename="../../../.bashrc"\r\n\r\nx\r\n--B--\r\n'
    )
    parsed = mime.parse(raw)
    assert [a.filename for a in parsed.attachments] == ["bashrc"]


def test_safe_html_removes_active_content() -> None:
    html = mime.safe_html('<a href="javascript:x()" onclick="y()">l</a><img src="http://t/x">')
    assert "javascript" not in html and "onclick" not in html and "http://t" not in html


def test_the_fast_summary_agrees_with_the_full_parse() -> None:
    draft = mime.Draft(
        sender="martine.dubois@ch-a.mssante.fr",
        sender_name="DUBOIS Martine",
        to=["Dr Élodie Paul <paul.martin@ch-a.mssante.fr>"],
        cc=["x@ch-a.mssante.fr"],
        subject="Résultats d'analyse — urgent",
        body="Bonjour é à ç,\nci-joint.",
        attachments=[mime.Attachment("résultat.pdf", "application/pdf", b"%PDF")],
    )
    data = mime.compose(draft, domain="ch-a.mssante.fr")
    full, fast = mime.parse(data), mime.summary(data)
    for name in ("message_id", "sender", "to", "cc", "subject", "date", "text"):
        assert getattr(fast, name) == getattr(full, name), name
    assert fast.has_attachments and [a.filename for a in fast.attachments] == ["résultat.pdf"]


def _draft(**fields: object) -> mime.Draft:
    values: dict[str, object] = {
        "sender": "martine.dubois@ch-a.mssante.fr",
        "to": ["paul.martin@ch-a.mssante.fr"],
        "subject": "Objet",
        "body": "Texte",
    }
    values.update(fields)
    return mime.Draft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": "a\r\nBcc: x@y.fr"}, "subject"),
        ({"subject": "a\nb"}, "subject"),
        ({"subject": "a\u2028b"}, "subject"),
        ({"in_reply_to": "<a@b>\r\nBcc: x@y.fr"}, "in_reply_to"),
        ({"in_reply_to": "<a@b>", "references": "<c@d>\n<e@f>"}, "references"),
        ({"to": ["paul.martin@ch-a.mssante.fr\r\nBcc: x@y.fr"]}, "to"),
        ({"cc": ["a@b.fr\nc"]}, "cc"),
    ],
)
def test_a_line_break_in_a_header_is_a_french_error(fields: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        mime.compose(_draft(**fields))
    assert [p.field for p in caught.value.problems] == [field]
    assert "retour à la ligne" in caught.value.message


def test_a_hostile_content_type_becomes_octet_stream() -> None:
    attachment = mime.Attachment("a.pdf", "application/pdf\r\nBcc: x@y.fr", b"%PDF")
    data = mime.compose(_draft(attachments=[attachment]))
    assert b"Bcc" not in data
    assert mime.parse(data).attachments[0].content_type == "application/octet-stream"


def test_an_attachment_over_the_message_size_is_refused_before_building() -> None:
    big = mime.Attachment("scanner.pdf", "application/pdf", b"x" * 90_000)
    with pytest.raises(Invalid) as caught:
        mime.compose(_draft(attachments=[big]), max_bytes=100_000)
    assert caught.value.message.startswith("La pièce jointe « scanner.pdf » (0,1 Mo) dépasse")
    assert caught.value.problems[0].field == "attachments"
    # The same file fits a larger limit, and the message stays under it.
    assert len(mime.compose(_draft(attachments=[big]), max_bytes=200_000)) <= 200_000


def test_attachments_over_the_message_size_together_are_refused() -> None:
    parts = [mime.Attachment(f"p{n}.pdf", "application/pdf", b"x" * 40_000) for n in range(3)]
    with pytest.raises(Invalid) as caught:
        mime.compose(_draft(attachments=parts), max_bytes=100_000)
    assert "Les pièces jointes font ensemble" in caught.value.message


def test_the_default_limit_is_the_platform_message_size(settings: Any) -> None:
    settings.SMTP_MAX_BYTES = 50_000
    with pytest.raises(Invalid):
        mime.compose(_draft(attachments=[mime.Attachment("a.bin", "", b"x" * 40_000)]))
    with pytest.raises(Invalid):
        mime.check_sizes([("a.bin", 40_000)])
    mime.check_sizes([("a.bin", 20_000)])
