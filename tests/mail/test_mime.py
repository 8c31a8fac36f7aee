from __future__ import annotations

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
