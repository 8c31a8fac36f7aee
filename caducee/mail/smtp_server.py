"""Former home of the SMTP services, now the package `caducee.mail.smtp`: re-exported here
so `from caducee.mail.smtp_server import …` (CLI, deploy, tests) keeps working."""

from __future__ import annotations

from caducee.mail.smtp.codes import (
    BAD_ADDRESS,
    NOT_MSSANTE,
    OK,
    RELAY_DENIED,
    SENDER_DENIED,
    TEMP_FAILURE,
    UNKNOWN_USER,
)
from caducee.mail.smtp.commit import GroupCommit
from caducee.mail.smtp.decisions import (
    inbound_checked_data,
    inbound_data,
    inbound_mail_from,
    inbound_rcpt,
    received_header,
    submission_data,
    submission_mail_from,
    submission_rcpt,
)
from caducee.mail.smtp.handlers import (
    InboundHandler,
    RcptCache,
    SubmissionHandler,
    ascii_reply,
    release_connections,
)
from caducee.mail.smtp.server import (
    CaduceeController,
    CaduceeSMTP,
    SharedPortController,
    inbound_controller,
    submission_controller,
)

__all__ = [
    "BAD_ADDRESS",
    "NOT_MSSANTE",
    "OK",
    "RELAY_DENIED",
    "SENDER_DENIED",
    "TEMP_FAILURE",
    "UNKNOWN_USER",
    "CaduceeController",
    "CaduceeSMTP",
    "GroupCommit",
    "InboundHandler",
    "RcptCache",
    "SharedPortController",
    "SubmissionHandler",
    "ascii_reply",
    "inbound_checked_data",
    "inbound_controller",
    "inbound_data",
    "inbound_mail_from",
    "inbound_rcpt",
    "received_header",
    "release_connections",
    "submission_controller",
    "submission_data",
    "submission_mail_from",
    "submission_rcpt",
]
