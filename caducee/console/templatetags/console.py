"""Template filters of the console: labels of shipped list codes."""

from __future__ import annotations

from django import template

from caducee.referentials import lists

register = template.Library()


@register.filter
def label_of(code: str, referential: str) -> str:
    """`{{ account.profession|label_of:"professions" }}` → « Médecin »."""
    if not code:
        return ""
    return lists.by_name(referential).label(code)
