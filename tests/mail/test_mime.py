from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_ONE_PART = [
    b"From: a@b.fr\r\nSubject: x\r\n\r\nTexte\r\n.\r\n",
    b"From: a@b.fr\nSubject: LF\n\nune\nligne\n",
    b"From: a@b.fr\r\nSubject: sans corps\r\n",
    b"From: a@b.fr\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\nR\xe9sultat \xe0 voir\r\n",
    b"From: a@b.fr\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>R=C3=A9sultat=\r\n suite</p>\r\n",
    b"From: a@b.fr\r\nContent-Type: application/pdf; name=cr.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n",
    b"Subject: =?utf-8?q?R=C3=A9sultats?=\r\nFrom: =?utf-8?b?w4lsb2RpZQ==?= <e@b.fr>\r\n"
    b"Date: Mon, 07 Dec 2026 17:00:00 +0100\r\nMessage-ID: <m@b.fr>\r\n\r\nx\r\n",
    b"From: a@b.fr\r\nContent-Type: invalid\r\n\r\nx\r\n",
    # parsed whole: structured bodies, and header blocks a parse does not end at their empty line
    b"From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
    b"Content-Type: text/plain\r\n\r\ntexte\r\n--B\r\nContent-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename=cr.pdf\r\n\r\nx\r\n--B--\r\n",
    b"From: a@b.fr\r\nContent-Type: message/rfc822\r\n\r\nSubject: dedans\r\n\r\ncorps\r\n",
    b"From: a@b.fr\r\nnot a header line\r\nSubject: x\r\n\r\nbody\r\n",
    b"From: a@b.fr\r\n\r\r\nSubject: x\r\n\r\nbody\r\n",
    b"\r\nFrom: c@d.fr\r\n\r\n",
]


@pytest.mark.parametrize("data", _ONE_PART)
def test_the_summary_parse_is_the_whole_parse(data: bytes) -> None:
    from email.parser import BytesParser
    from email.policy import compat32

    whole = BytesParser(policy=compat32).parsebytes(data)
    read = mime.summary_message(data)
    assert read.items() == whole.items()
    assert [p.get_payload(decode=True) for p in read.walk()] == [
        p.get_payload(decode=True) for p in whole.walk()
    ]
    assert mime.summary_of(read) == mime.summary_of(whole)


@pytest.mark.parametrize(
    ("data", "block", "body"),
    [
        (b"A: 1\r\nB: 2\r\n\r\nbody", b"A: 1\r\nB: 2\r\n", b"body"),
        (b"A: 1\nB: 2\n\nbody", b"A: 1\nB: 2\n", b"body"),
        (b"A: 1\r\nB: 2\r\n", b"A: 1\r\nB: 2\r\n", b""),
        (b"A: 1\n\nx\r\n\r\ny", b"A: 1\n", b"x\r\n\r\ny"),
    ],
)
def test_the_header_block_and_where_the_body_starts(data: bytes, block: bytes, body: bytes) -> None:
    assert mime.header_block(data) == (block, len(data) - len(body))


_PIECES = [
    b"From: a@b.fr",
    b"Subject: =?utf-8?q?R=C3=A9sultats?=",
    b"Content-Type: text/html",
    b"Content-Type: multipart/mixed; boundary=B",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b" folded",
    b"not a header",
    b"--B",
    b"SGVsbG8=",
    b"caf\xe9=3D",
    b"",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_PIECES), st.sampled_from([b"\r\n", b"\n", b"\r"])),
        max_size=14,
    )
)
def test_the_summary_parse_is_the_whole_parse_on_any_lines(
    lines: list[tuple[bytes, bytes]],
) -> None:
    from email.parser import BytesParser
    from email.policy import compat32

    data = b"".join(text + end for text, end in lines)
    whole = BytesParser(policy=compat32).parsebytes(data)
    read = mime.summary_message(data)
    assert read.items() == whole.items()
    assert mime.summary_of(read) == mime.summary_of(whole)
