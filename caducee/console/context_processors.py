"""Header navigation: which spaces the person may open (evaluated only when shown).

The webmail link follows `current_mailbox` (identity's context processor), already read by
the header, so it costs no query here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from caducee.people.models import User


def _spaces(user: User) -> dict[str, bool]:
    from caducee.coordination.access import is_external
    from caducee.coordination.models import Membership
    from caducee.structures.access import structures_for_admin

    if is_external(user):
        return {"admin": False, "directory": False, "coordination": True}
    admin = user.is_operator or structures_for_admin(user).exists()
    return {
        "admin": admin,
        "directory": True,
        "coordination": admin or Membership.objects.filter(user=user).exists(),
    }


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {"nav": SimpleLazyObject(lambda: _spaces(user))}
