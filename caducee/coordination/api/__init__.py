"""Coordination API: every action of the coordination console, as thin adapters over
`caducee.coordination.operations` (same permission checks, same audit events).

Same access rules as the pages (caducee/coordination/access.py): an external partner
account reaches only the records where it is an active partner; anything else is 404.
Routes are grouped by resource: records, liaison log and documents (`records`), contacts
and partners (`contacts`), rights profiles and memberships (`rights`), external accounts and
invitations (`externals`).
"""

from __future__ import annotations

from caducee.coordination.api import (  # noqa: F401  (their routes)
    contacts,
    externals,
    records,
    rights,
)
from caducee.coordination.api.common import router

__all__ = ["router"]
