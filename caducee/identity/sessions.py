"""Session limits: idle timeout, absolute lifetime, and "logout everywhere" generations.

Keys stored in the Django session (set by `stamp`, checked by the middleware):
`caducee_login_at` and `caducee_seen_at` (epoch seconds), `caducee_generation`.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from caducee.identity.models import Security
from caducee.people.models import User

LOGIN_AT = "caducee_login_at"
SEEN_AT = "caducee_seen_at"
GENERATION = "caducee_generation"
SEEN_WRITE_EVERY = 30  # seconds: do not rewrite the session at every click


def generation(user: User) -> int:
    row = Security.objects.filter(user=user).values_list("session_generation", flat=True).first()
    return int(row or 0)


def stamp(session: SessionBase, user: User, now: float | None = None) -> None:
    moment = now if now is not None else time.time()
    session[LOGIN_AT] = moment
    session[SEEN_AT] = moment
    session[GENERATION] = generation(user)


def verdict(session: SessionBase, user: User, now: float | None = None) -> str | None:
    """Why this session must end ('idle', 'max_age', 'revoked'), or None if it may go on.

    A session without stamps (e.g. opened by a test's force_login) is stamped now.
    """
    moment = now if now is not None else time.time()
    if LOGIN_AT not in session:
        stamp(session, user, moment)
        return None
    if moment - float(session[LOGIN_AT]) > settings.SESSION_COOKIE_AGE:
        return "max_age"
    if moment - float(session.get(SEEN_AT, 0)) > settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    if int(session.get(GENERATION, 0)) != generation(user):
        return "revoked"
    if moment - float(session.get(SEEN_AT, 0)) > SEEN_WRITE_EVERY:
        session[SEEN_AT] = moment
    return None
