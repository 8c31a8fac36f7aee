"""`{% load lifecycle %}`: the days left before an expiry date, for the account list."""

from __future__ import annotations

from datetime import date

from django import template

from caducee.lifecycle.rules import today

register = template.Library()


@register.filter
def days_left(day: date | None) -> str:
    """« dans 12 j », « aujourd'hui », « dépassée » (« » without a date)."""
    if day is None:
        return ""
    left = (day - today()).days
    if left > 0:
        return f"dans {left} j"
    return "aujourd'hui" if left == 0 else "dépassée"
