"""Login codes by SMS: mobile numbers and the SMS gateway (docs/IDENTITY.md, « Codes par SMS »).

`CADUCEE_SMS_BACKEND` picks the gateway:
- `http`: one JSON POST per SMS to `CADUCEE_SMS_URL` with `Authorization: Bearer
  <CADUCEE_SMS_TOKEN>`; the body is `{"to": "+33612345678", "text": "...", "sender":
  "Caducee", "reference": "<uuid>"}`. Any 2xx answer is a success (its JSON `id`, if
  any, is kept in the audit event); anything else, a timeout or a refused connection is a
  failure (`Failed`), and the caller sends the code by email instead;
- `file` (the default without a URL, like the email outbox): one JSON file per SMS under
  CADUCEE_HOME/sms-outbox, readable by the server's user only;
- `off`: no SMS method on this platform.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

BACKENDS = ("http", "file", "off")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_FRENCH_MOBILE = re.compile(r"^0[67]\d{8}$")
_MAX_ANSWER = 4096  # bytes of a gateway's answer read back (its message id)


class Failed(Exception):
    """The SMS could not be handed to the gateway; `reason` is for the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sent:
    backend: str
    reference: str  # ours, sent along
    gateway_id: str = ""  # the gateway's, when it answers one


def backend() -> str:
    """The configured gateway: `http`, `file` or `off` (an unknown name counts as off)."""
    name = str(getattr(settings, "SMS_BACKEND", "off") or "off").strip().lower()
    if name == "http" and not str(getattr(settings, "SMS_URL", "") or ""):
        return "off"  # nowhere to post: no SMS rather than failures at every login
    return name if name in BACKENDS else "off"


def enabled() -> bool:
    """True when this platform can send SMS (the method is offered)."""
    return backend() != "off"


def normalise(number: str) -> str:
    """The number in international form (+33612345678), or '' when it is not a mobile.

    French mobiles are written 06/07 (0612345678, 06 12 34 56 78, +33 6 12 34 56 78,
    0033612345678); other countries and the overseas departments in international form
    (+590 690 12 34 56).
    """
    compact = re.sub(r"[\s.\-()]", "", number or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _FRENCH_MOBILE.match(compact):
        return "+33" + compact[1:]
    if compact.startswith("+33"):
        national = "0" + compact[3:]
        return compact if _FRENCH_MOBILE.match(national) else ""
    return compact if _E164.match(compact) else ""


def masked(number: str) -> str:
    """A number as the pages show it: only its last two digits (« 06 •• •• •• 78 »)."""
    if number.startswith("+33") and len(number) == 12:
        national = "0" + number[3:]
        return f"{national[:2]} •• •• •• {national[-2:]}"
    return f"{number[:3]} •• {number[-2:]}" if len(number) > 5 else "••"


def send(to: str, text: str) -> Sent:
    """Hand one SMS to the gateway; `Failed` when it could not."""
    name = backend()
    reference = uuid.uuid4().hex
    if name == "http":
        return Sent("http", reference, _post(to, text, reference))
    if name == "file":
        _write(to, text, reference)
        return Sent("file", reference)
    raise Failed("no SMS gateway on this platform")


def _post(to: str, text: str, reference: str) -> str:
    body = json.dumps(
        {"to": to, "text": text, "sender": str(settings.SMS_SENDER), "reference": reference}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's https URL
        str(settings.SMS_URL),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {settings.SMS_TOKEN}",
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - see above
            request, timeout=int(settings.SMS_TIMEOUT)
        ) as response:
            answer = response.read(_MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        raise Failed(f"gateway answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timeout, TLS
        reason = getattr(exc, "reason", exc)
        raise Failed(f"gateway unreachable: {reason}") from None
    return _gateway_id(answer)


def _gateway_id(answer: bytes) -> str:
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return ""
    value = data.get("id", "") if isinstance(data, dict) else ""
    return str(value)[:100] if isinstance(value, str | int) else ""


def _write(to: str, text: str, reference: str) -> None:
    folder = Path(settings.SMS_OUTBOX)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stamp}-{reference}.json"
    payload = json.dumps(
        {"to": to, "text": text, "sender": str(settings.SMS_SENDER), "reference": reference},
        ensure_ascii=False,
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload + "\n")
    except OSError as exc:
        raise Failed(f"SMS outbox not writable: {exc.strerror}") from None


def login_text(code: str) -> str:
    """The SMS of a login code (no link, no name: it may be read on a locked screen)."""
    minutes = int(settings.LOGIN_CODE_MINUTES)
    return (
        f"Caducée : votre code de connexion est {code} (valable {minutes} min). "
        "Ne le communiquez à personne."
    )


def setup_text(code: str) -> str:
    """The SMS confirming a number on « Sécurité »."""
    minutes = int(settings.LOGIN_CODE_MINUTES)
    return (
        f"Caducée : code {code} pour recevoir vos codes de connexion par SMS "
        f"(valable {minutes} min)."
    )
