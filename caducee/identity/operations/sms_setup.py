"""Login codes by SMS on « Sécurité » (issue #17 point 4): confirming a mobile, removing it.

A person chooses SMS codes by typing their mobile and then the code sent to it: only a
number that received a code is kept. The authenticator app, when enrolled, stays the
second factor (it is stronger than both SMS and email): SMS is refused while it is there,
and enrolling the app removes SMS. Removing SMS brings the emailed codes back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, Problem
from caducee.identity import codes, sms, throttle
from caducee.identity.models import CodePurpose
from caducee.identity.operations._common import as_person, security_of
from caducee.people.models import User

NO_GATEWAY = (
    "Cette plateforme n'envoie pas de SMS : vos codes de connexion vous sont envoyés par "
    "mail (ou affichés par une application d'authentification)."
)
TOTP_FIRST = (
    "Votre application d'authentification protège déjà vos connexions, mieux qu'un SMS : "
    "retirez-la d'abord si vous préférez recevoir vos codes par SMS."
)


def _refuse(message: str, field: str = "number", code: str = "invalid") -> Invalid:
    return Invalid(message, [Problem(field, code, message)])


def _setup_key(user: User) -> str:
    return f"sms-setup:{user.pk}"


def start_sms_setup(ctx: Context, user: User, number: str) -> str:
    """The logged-in person, for their own mobile; writes `identity.sms_setup_sent`.

    Sends a confirmation code by SMS to the typed mobile and returns the number in
    international form (the page keeps it until the code comes back). At most
    `CADUCEE_SMS_SETUP_LIMIT` such SMS per `CADUCEE_LOCKOUT_MINUTES`, one a minute.
    """
    if not sms.enabled():
        raise _refuse(NO_GATEWAY, code="unavailable")
    if security_of(user).totp_enabled:
        raise _refuse(TOTP_FIRST, code="totp")
    normalised = sms.normalise(number)
    if not normalised:
        raise _refuse(
            f"« {number.strip()} » n'est pas un numéro de mobile : saisissez un numéro en 06 "
            "ou 07 (06 12 34 56 78), ou au format international (+590 690 12 34 56)."
        )
    if throttle.over_limit(_setup_key(user), int(settings.SMS_SETUP_LIMIT)):
        raise _refuse(
            "Trop de SMS de confirmation envoyés : réessayez dans "
            f"{settings.LOCKOUT_MINUTES} minutes.",
            code="too_many",
        )
    try:
        code = codes.issue(user, purpose=CodePurpose.SMS_SETUP)
    except codes.TooSoon as exc:
        raise _refuse(
            f"Un code vient d'être envoyé : patientez {exc.seconds} s avant d'en demander "
            "un autre.",
            code="too_soon",
        ) from None
    try:
        sent = sms.send(normalised, sms.setup_text(code))
    except sms.Failed:
        raise _refuse(
            f"Le SMS n'a pas pu être envoyé au {sms.masked(normalised)} (passerelle SMS "
            "indisponible) : réessayez dans quelques minutes. Vos codes de connexion "
            "continuent d'arriver par mail.",
            code="gateway",
        ) from None
    with transaction.atomic():
        record_event(
            as_person(ctx, user),
            AuditAction.IDENTITY_SMS_SETUP_SENT,
            target=user,
            detail={"to": sms.masked(normalised), "backend": sent.backend},
        )
    return normalised


def enable_sms(ctx: Context, user: User, number: str, code: str) -> None:
    """The logged-in person, with the code sent to that mobile; writes `identity.sms_enabled`.

    From then on their login codes come by SMS to this number.
    """
    normalised = sms.normalise(number)
    if not sms.enabled():
        raise _refuse(NO_GATEWAY, code="unavailable")
    if not normalised:
        raise _refuse("Saisissez d'abord votre numéro de mobile.", code="required")
    security = security_of(user)
    if security.totp_enabled:
        raise _refuse(TOTP_FIRST, code="totp")
    verdict = codes.verify(user, code, purpose=CodePurpose.SMS_SETUP)
    if not verdict.ok:
        message = (
            "Ce code n'est plus valable (expiré, déjà utilisé ou trop d'essais) : demandez "
            "un nouveau SMS."
            if verdict.dead
            else f"Code incorrect : saisissez les 6 chiffres reçus par SMS au "
            f"{sms.masked(normalised)}."
        )
        raise _refuse(message, field="code")
    with transaction.atomic():
        previous = security.sms_number
        security.sms_number = normalised
        security.sms_confirmed_at = timezone.now()
        security.save(update_fields=["sms_number", "sms_confirmed_at"])
        detail = {"to": sms.masked(normalised)}
        detail |= {"replaces": sms.masked(previous)} if previous else {}
        record_event(
            as_person(ctx, user), AuditAction.IDENTITY_SMS_ENABLED, target=user, detail=detail
        )


def disable_sms(ctx: Context, user: User) -> None:
    """The logged-in person, on their own SMS codes; writes `identity.sms_disabled`.

    Their login codes come by email again.
    """
    security = security_of(user)
    if not security.sms_number:
        raise _refuse("Vous ne recevez pas vos codes par SMS : rien à retirer.", code="not_enabled")
    with transaction.atomic():
        detail = {"to": sms.masked(security.sms_number)}
        security.sms_number = ""
        security.sms_confirmed_at = None
        security.save(update_fields=["sms_number", "sms_confirmed_at"])
        record_event(
            as_person(ctx, user), AuditAction.IDENTITY_SMS_DISABLED, target=user, detail=detail
        )
