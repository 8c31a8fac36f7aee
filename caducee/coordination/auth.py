"""Login of an external partner with their identifier (e.g. `fcorre`) instead of an email.

Only resolves the identifier: the shared login view keeps calling django's authenticate(),
so the one-time-code step applies to external partners as to everyone.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from caducee.coordination.models import ExternalAccount, ExternalStatus
from caducee.people.models import User


class ExternalIdentifierBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        identifier = (username or kwargs.get("email") or "").strip().lower()
        if not identifier or "@" in identifier or password is None:
            return None
        external = (
            ExternalAccount.objects.select_related("user")
            .filter(identifier=identifier, status=ExternalStatus.ACTIVE)
            .first()
        )
        if external is None:
            # Same work as a real check, so timing does not reveal which identifiers exist.
            User().set_password(password)
            return None
        user = external.user
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
