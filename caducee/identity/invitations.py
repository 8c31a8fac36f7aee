"""Kept for the callers in accounts and loadusers: the invitation lives in
`caducee.identity.operations.finalisation` (repoint them, then delete this module)."""

from caducee.identity.operations.finalisation import send_invitation

__all__ = ["send_invitation"]
