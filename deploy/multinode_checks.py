"""The checks of the multi-node scenario on messages: each inbound message stored once,
with its file in the shared store; each outbound one received by the sink once."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from deploy.multinode_clients import DOMAIN, REMOTE
from deploy.multinode_processes import Failed, Report, query, wait


def check_inbound(report: Report, url: str, folder: Path, n: int, cut: int) -> None:
    """Every `mn-in-*` Message-ID in an inbox once; every message row with its file.

    `cut`: sessions the kills cut after DATA (the client sent the message again)."""
    rows = query(
        url,
        "SELECT message_id, count(*) FROM mail_message WHERE folder = 'inbox' "
        "AND message_id LIKE %s GROUP BY message_id",
        "%mn-in-%",
    )
    stored = Counter({r[0]: r[1] for r in rows})
    missing = {f"<mn-in-{i}@{DOMAIN}>" for i in range(n)} - set(stored)
    doubles = {k: v for k, v in stored.items() if v > 1}
    report.check(
        not missing and not doubles,
        f"entrants stockés : {len(stored)}/{n} Message-ID, {len(missing)} perdu(s), "
        f"{len(doubles)} en double ; {cut} session(s) coupée(s) par le kill après DATA, "
        "message renvoyé par le client : gardé une fois (même Message-ID)",
    )
    paths = query(url, "SELECT path FROM mail_message")
    files = [p for p in (folder / "mail").rglob("*") if p.is_file() and not p.name.startswith(".")]
    on_disk = sum(1 for (p,) in paths if (folder / "mail" / p).is_file() or Path(p).is_file())
    report.check(
        on_disk == len(paths),
        f"magasin partagé : {len(paths)} lignes de messages, chacune avec son fichier ; "
        f"{len(files) - on_disk} fichier(s) sans ligne (écrits avant un kill, jamais acquittés)",
    )


def _queue_empty(url: str) -> bool:
    sql = "SELECT count(*) FROM mail_outbound WHERE state IN ('pending', 'sending')"
    return bool(query(url, sql)[0][0] == 0)


def sending_message_ids(url: str) -> set[str]:
    """Message-IDs of the queued rows being sent right now (claimed by a worker)."""
    rows = query(
        url,
        "SELECT b.data FROM mail_outbound o JOIN mail_outboundbody b ON b.id = o.body_id "
        "WHERE o.state = 'sending'",
    )
    found = (re.search(rb"(?im)^Message-ID:\s*(<[^>]+>)", bytes(data)) for (data,) in rows)
    return {match.group(1).decode() for match in found if match}


def check_outbound(
    report: Report, url: str, sink_out: Path, n: int, cut: int, in_flight: set[str]
) -> None:
    """Once the workers emptied the queue: every `mn-out-*` Message-ID received by the sink
    once, and only `sent` rows left. `cut`: submissions cut after DATA and sent again.

    `in_flight`: rows a killed worker held at the kill. One it had handed to the sink but
    not yet marked `sent` is sent again by another worker — SMTP's « at least once »
    (MESSAGING.md, « Retries and duplicates »): a second copy is admitted for those only."""
    try:
        wait("file d'envoi vidée par les workers", lambda: _queue_empty(url), 120, 0.5)
    except Failed as exc:
        report.check(False, str(exc))
    received = Counter(
        line.strip() for line in sink_out.read_text().splitlines() if "mn-out-" in line
    )
    missing = {f"<mn-out-{i}@{DOMAIN}>" for i in range(n)} - set(received)
    doubles = {k: v for k, v in received.items() if v > 1}
    unexplained = {k for k, v in doubles.items() if v > 2 or k not in in_flight}
    report.check(
        not missing and not unexplained,
        f"sortants reçus par le puits ({REMOTE}) : {len(received)}/{n} Message-ID, "
        f"{len(missing)} perdu(s), {len(doubles)} en double ; {cut} soumission(s) coupée(s) "
        f"après DATA et renvoyée(s) : envoyée(s) une fois ; {len(in_flight)} en cours d'envoi "
        "par le worker tué : un double n'est admis que pour eux (envoyé au puits, pas encore "
        "marqué envoyé)"
        + (f" ; doubles inexpliqués : {sorted(unexplained)[:5]}" if unexplained else ""),
    )
    states = dict(query(url, "SELECT state, count(*) FROM mail_outbound GROUP BY state"))
    report.check(set(states) == {"sent"}, f"file d'envoi : {states}")
