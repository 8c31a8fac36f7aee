"""Every SMTP reply the listeners write themselves, named, and the one table that turns an
operation's refusal into a reply.

A refusal's SMTP code depends only on its `Problem.code` (stable, emitted by
`caducee.mail.addresses.check_recipients`), never on its French text: rewording a message
cannot change what a client or a remote server does with the answer. Replies are written
in French here; `handlers.ascii_reply` strips the accents before they go on the wire
(RFC 5321 §4.2). The replies of the trust checks (`trust`), authentication (`smtp_auth`)
and session limits (`smtp_limits`) are named in those modules.
"""

from __future__ import annotations

from caducee.core.errors import Invalid, OperationError

# --- accepted -------------------------------------------------------------------------
SENDER_OK = "250 2.1.0 Expéditeur accepté"
OK = "250 2.1.5 Destinataire accepté"
STORED = "250 2.0.0 Message enregistré"
SUBMITTED = "250 2.0.0 Message accepté ({id})"

# --- refused --------------------------------------------------------------------------
UNKNOWN_USER = "550 5.1.1 Destinataire inconnu sur ce serveur"
RELAY_DENIED = "550 5.7.1 Relais refusé : ce serveur ne reçoit que pour ses propres domaines"
NOT_MSSANTE = "550 5.7.1 Destinataire hors de l'espace de confiance MSSanté"
SENDER_DENIED = "553 5.7.1 Vous ne pouvez pas envoyer avec cette adresse d'expéditeur"
BAD_ADDRESS = "501 5.1.3 Adresse invalide"
TEST_ONLY = "550 5.7.1 {reason}"  # a test address and a real one: the French reason
MESSAGE_REFUSED = "550 5.7.1 {reason}"
NO_VALID_RECIPIENT = "554 5.5.1 Aucun destinataire valide"
AUTH_REQUIRED = "530 5.7.0 Authentification requise"
MAIL_FIRST = "503 5.5.1 MAIL FROM d'abord"
BAD_SEQUENCE = "503 5.5.1 Sequence de commandes incorrecte"

# --- not now --------------------------------------------------------------------------
TEMP_FAILURE = "451 4.3.0 Erreur temporaire, réessayez plus tard"

# A refused recipient: the reply for each `Problem.code` of `addresses.check_recipients`.
RECIPIENT_REPLIES: dict[str, str] = {
    "address": BAD_ADDRESS,  # not an address at all
    "unknown": UNKNOWN_USER,  # a platform domain, no such mailbox
    "not_mssante": NOT_MSSANTE,  # a domain outside the MSSanté trust space
    "no_mssante": NOT_MSSANTE,  # the sending mailbox has no MSSanté address: platform only
    "test_address": TEST_ONLY,  # a test address and a real one (docs/MESSAGING.md)
}
RECIPIENT_DEFAULT = NOT_MSSANTE  # a refusal without a known code: policy


def recipient_reply(exc: OperationError) -> str:
    """The RCPT reply for a refused recipient, chosen by its first problem's code."""
    problems = exc.errors() if isinstance(exc, Invalid) else []
    if not problems:
        return RECIPIENT_DEFAULT
    reply = RECIPIENT_REPLIES.get(problems[0].code, RECIPIENT_DEFAULT)
    return reply.format(reason=problems[0].message) if "{reason}" in reply else reply


def message_refused(exc: OperationError) -> str:
    """The DATA reply for a message an operation refused: a policy 550 with its reason."""
    return MESSAGE_REFUSED.format(reason=exc.message)
