"""What the service centre's queue shows beside the requests: their age against the
overdue threshold, and the structures already on the platform that look like them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from caducee.onboarding.models import ConnectionRequest
from caducee.onboarding.states import OPEN, STATE_FILTERS, RequestState
from caducee.structures.models import Structure

__all__ = [
    "OPEN",
    "STATE_FILTERS",
    "existing_structures",
    "is_overdue",
    "overdue_before",
    "overdue_hours",
]


def overdue_hours() -> int:
    """REGISTRATION_OVERDUE_HOURS: the same threshold as the self-registration queue."""
    return int(settings.REGISTRATION_OVERDUE_HOURS)


def overdue_before() -> datetime:
    """Open requests received before this moment are overdue (highlighted in the queue)."""
    return timezone.now() - timedelta(hours=overdue_hours())


def is_overdue(request: ConnectionRequest) -> bool:
    return request.state in RequestState.open() and request.created_at < overdue_before()


def existing_structures(request: ConnectionRequest) -> list[Structure]:
    """Structures of the platform with the request's identifier or name: the requester may
    already be on it (the public answer never says so; the service centre sees it here)."""
    same = Q(id_number=request.id_number) | Q(name__iexact=request.structure_name)
    if request.structure_id is not None:
        return list(Structure.objects.filter(same).exclude(pk=request.structure_id)[:5])
    return list(Structure.objects.filter(same)[:5])
