"""Identity actions, by sub-domain; this package re-exports every public name.

- `passwords`: the password rules, the first operator, password links, forgotten and
  changed passwords;
- `finalisation`: the invitation (finalisation link), the finalisation page, the CGU,
  reminders and resends;
- `login`: refusals, failures, the second factor, completion, logout, unlock, mailbox switch;
- `security`: remembered browsers, the authenticator app and its reset;
- `sms_setup`: login codes by SMS (confirming a mobile, removing it).

Each action checks permission, validates, writes inside a transaction and records its
audit event. Views, CLI commands and the API are thin adapters over these functions.
"""

from __future__ import annotations

from caducee.identity.operations._common import check_password_rules, security_of
from caducee.identity.operations.finalisation import (
    FINALISE_FIELDS,
    accept_cgu,
    cgu_to_accept_again,
    finalisation_account,
    finalise_account,
    last_reminder,
    preregistered,
    remind_preregistered,
    resend_invitation,
    send_invitation,
)
from caducee.identity.operations.login import (
    CodeDelivery,
    account_refusal,
    complete_login,
    login_failed,
    login_refusal,
    logout_everywhere,
    person_by_email,
    record_logout,
    send_login_code,
    shared_mailbox,
    switch_mailbox,
    unlock_login,
    verify_second_factor,
)
from caducee.identity.operations.passwords import (
    change_password,
    create_first_operator,
    issue_password_link,
    issue_reset_link,
    request_password_reset,
    reset_password,
    set_password_with_link,
)
from caducee.identity.operations.security import (
    disable_totp,
    enable_totp,
    remembered_browsers,
    reset_second_factor,
    revoke_browser,
)
from caducee.identity.operations.sms_setup import disable_sms, enable_sms, start_sms_setup

__all__ = [
    "FINALISE_FIELDS",
    "CodeDelivery",
    "accept_cgu",
    "account_refusal",
    "cgu_to_accept_again",
    "change_password",
    "check_password_rules",
    "complete_login",
    "create_first_operator",
    "disable_sms",
    "disable_totp",
    "enable_sms",
    "enable_totp",
    "finalisation_account",
    "finalise_account",
    "issue_password_link",
    "issue_reset_link",
    "last_reminder",
    "login_failed",
    "login_refusal",
    "logout_everywhere",
    "person_by_email",
    "preregistered",
    "record_logout",
    "remembered_browsers",
    "remind_preregistered",
    "request_password_reset",
    "resend_invitation",
    "reset_password",
    "reset_second_factor",
    "revoke_browser",
    "security_of",
    "send_invitation",
    "send_login_code",
    "set_password_with_link",
    "shared_mailbox",
    "start_sms_setup",
    "switch_mailbox",
    "unlock_login",
    "verify_second_factor",
]
