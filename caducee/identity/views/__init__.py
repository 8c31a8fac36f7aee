"""Identity web adapters, by page family; `urls.py` uses the names re-exported here.

- `login`: login with a second factor, logout, CGU re-acceptance;
- `home`: the landing page and « Changer de compte »;
- `security`: « Sécurité » (browsers, sessions, authenticator app, password);
- `sms`: « Sécurité » › login codes by SMS;
- `links`: pages opened from a single-use link (reset, password, finalisation, setup);
- `admin`: console actions (reminders, resend a link, reset a second factor).
"""

from __future__ import annotations

from caducee.identity.views.admin import (
    last_reminder_view,
    remind_view,
    resend_view,
    second_factor_reset_view,
)
from caducee.identity.views.home import home_view, switch_view
from caducee.identity.views.links import (
    finalise_view,
    forgot_view,
    reset_view,
    set_password_view,
    setup_view,
)
from caducee.identity.views.login import (
    cgu_view,
    code_resend_view,
    code_view,
    login_view,
    logout_view,
)
from caducee.identity.views.security import (
    browser_revoke_view,
    logout_everywhere_view,
    password_change_view,
    security_view,
    totp_disable_view,
    totp_view,
)
from caducee.identity.views.sms import sms_disable_view, sms_view

__all__ = [
    "browser_revoke_view",
    "cgu_view",
    "code_resend_view",
    "code_view",
    "finalise_view",
    "forgot_view",
    "home_view",
    "last_reminder_view",
    "login_view",
    "logout_everywhere_view",
    "logout_view",
    "password_change_view",
    "remind_view",
    "resend_view",
    "reset_view",
    "second_factor_reset_view",
    "security_view",
    "set_password_view",
    "setup_view",
    "sms_disable_view",
    "sms_view",
    "switch_view",
    "totp_disable_view",
    "totp_view",
]
