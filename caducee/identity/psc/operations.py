"""The audited steps of a Pro Santé Connect login (the views only do HTTP)."""

from __future__ import annotations

from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.identity import operations as ops
from caducee.people.models import User


def psc_login(ctx: Context, user: User, sub: str) -> None:
    """The login step after Pro Santé Connect vouched for the person's national identifier;
    writes `identity.login` (method `psc`, the provider's `sub`).

    PSC authenticates with the e-CPS app or the CPS card: two factors, no emailed code.
    """
    ops.complete_login(ctx, user, "psc", provider_sub=sub)


def psc_refused(ctx: Context, reason: str, *, sub: str = "", id_nat: str = "") -> None:
    """A Pro Santé Connect return that logs no one in (anonymous); writes
    `identity.psc_refused` with the reason (state, token, unknown identifier…)."""
    detail = {"reason": reason[:500]} | ({"sub": sub} if sub else {})
    detail |= {"id_nat": id_nat} if id_nat else {}
    with transaction.atomic():
        record_event(ctx, AuditAction.IDENTITY_PSC_REFUSED, target_label=id_nat, detail=detail)
