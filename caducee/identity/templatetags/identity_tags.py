"""Template tags for the identity partials included by the console."""

from __future__ import annotations

from django import template

from caducee.identity.models import Reminder
from caducee.structures.models import Structure

register = template.Library()


@register.simple_tag
def last_reminder(structure: Structure) -> Reminder | None:
    """The structure's latest "Relancer vos utilisateurs préinscrits", or None."""
    return Reminder.objects.filter(structure=structure).first()
