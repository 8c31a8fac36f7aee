"""Coordination API: every action of the coordination console, as thin adapters over
`caducee.coordination.operations` (same permission checks, same audit events).

Same access rules as the pages (caducee/coordination/access.py): an external partner
account reaches only the records where it is an active partner; anything else is 404.
Routes are grouped by resource: records, liaison log and documents (`records`), contacts
and partners (`contacts`), rights profiles, memberships and external accounts (`rights`).
"""

from __future__ import annotations

from caducee.coordination.api import contacts, records, rights  # noqa: F401  (routes)
from caducee.coordination.api.common import router

__all__ = ["router"]
