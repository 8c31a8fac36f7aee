"""One serialiser per object, shared by the API and the CLI's `--json` output.

The API's field names are the published contract (docs/API.md); the CLI prints the same
objects, so a script moving from `caducee … --json` to the API reads the same keys.
Account fields, in and out, are derived from the field table (`accounts.fields.FIELDS`):
a new column there is a new attribute here, with its seed 002 header as title.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field, create_model

from caducee.accounts.export import keyed_values
from caducee.accounts.fields import FIELDS
from caducee.accounts.models import (
    Account,
    ColleagueProposal,
    ConnectionLink,
    Delegation,
    DelegationRight,
    EmailChangeRequest,
)
from caducee.people.models import User
from caducee.structures.domains import DomainRow
from caducee.structures.models import Structure


class StructureOut(Schema):
    id: int
    name: str
    id_type: str
    id_number: str
    domain: str | None
    address1: str
    address2: str
    postal_code: str
    city: str
    department: str
    region: str
    phone: str
    contact_name: str
    contact_email: str


def structure_out(structure: Structure) -> dict[str, Any]:
    return {
        "id": structure.pk,
        "name": structure.name,
        "id_type": structure.id_type,
        "id_number": structure.id_number,
        "domain": structure.domain or None,
        "address1": structure.address1,
        "address2": structure.address2,
        "postal_code": structure.postal_code,
        "city": structure.city,
        "department": structure.department,
        "region": structure.region,
        "phone": structure.phone,
        "contact_name": structure.contact_name,
        "contact_email": structure.contact_email,
    }


class AdminOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str


def admin_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


# One attribute per column of the field table, documented with its seed 002 header.
AccountFields = create_model(  # type: ignore[call-overload]
    "AccountFields",
    __base__=Schema,
    **{
        spec.key: (str, Field(..., title=spec.header, description=spec.help or spec.header))
        for spec in FIELDS
    },
)

# The input side: the same columns, as text, each optional (what is absent is not sent to
# the operation). The structure is the one in the route, never a field of the body.
INPUT_FIELDS = tuple(spec for spec in FIELDS if spec.key != "structure")
AccountFieldsIn = create_model(  # type: ignore[call-overload]
    "AccountFieldsIn",
    __base__=Schema,
    **{
        spec.key: (
            str | None,
            Field(None, title=spec.header, description=spec.help or spec.header),
        )
        for spec in INPUT_FIELDS
    },
)


def raw_fields(payload: Schema) -> dict[str, object]:
    """The columns a client sent (null or absent: not sent), keyed like the field table."""
    return {
        key: value
        for key, value in payload.model_dump(exclude_unset=True).items()
        if value is not None
    }


class AccountOut(Schema):
    id: int
    email: str
    type: str
    state: str
    state_label: str
    structure_id: int
    visible: bool
    is_test: bool
    fields: AccountFields  # type: ignore[valid-type]


def account_out(account: Account) -> dict[str, Any]:
    return {
        "id": account.pk,
        "email": account.email,
        "type": account.type,
        "state": account.state,
        "state_label": account.get_state_display(),
        "structure_id": account.structure_id,
        "visible": account.visible,
        "is_test": account.is_test,
        "fields": keyed_values(account),
    }


class ConnectionOut(Schema):
    """A nominative account allowed to open a shared (ORG/APP) mailbox."""

    account_id: int
    email: str
    notify_on_receipt: bool


def connection_out(link: ConnectionLink) -> dict[str, Any]:
    return {
        "account_id": link.account_id,
        "email": link.account.email,
        "notify_on_receipt": link.notify_on_receipt,
    }


class DelegateOut(Schema):
    account_id: int
    email: str
    right: str
    right_label: str
    created_at: str


def delegate_out(delegation: Delegation) -> dict[str, Any]:
    return {
        "account_id": delegation.delegate_id,
        "email": delegation.delegate.email,
        "right": delegation.right,
        "right_label": str(DelegationRight(delegation.right).label),
        "created_at": delegation.created_at.isoformat(),
    }


class EmailChangeOut(Schema):
    id: int
    account_id: int
    email: str
    new_email: str
    status: str
    status_label: str
    state: str
    state_label: str
    requested_at: str
    requested_by: str | None
    by_self: bool
    expires_at: str | None
    confirmed_at: str | None


def email_change_out(change: EmailChangeRequest) -> dict[str, Any]:
    return {
        "id": change.pk,
        "account_id": change.account_id,
        "email": change.account.email,
        "new_email": change.new_email,
        "status": change.status,
        "status_label": change.get_status_display(),
        "state": change.state,
        "state_label": change.state_label,
        "requested_at": change.requested_at.isoformat(),
        "requested_by": change.requested_by.email if change.requested_by else None,
        "by_self": change.by_self,
        "expires_at": change.expires_at.isoformat() if change.expires_at else None,
        "confirmed_at": change.confirmed_at.isoformat() if change.confirmed_at else None,
    }


class ColleagueProposalOut(Schema):
    """A colleague proposed as connection account of an ORG mailbox (issue #15 point 8)."""

    id: int
    mailbox_id: int
    mailbox: str
    colleague_id: int
    colleague: str
    status: str  # pending, approved, refused, added (without validation)
    status_label: str
    proposed_by: str
    proposed_at: str
    decided_by: str | None
    decided_at: str | None
    reason: str


def colleague_proposal_out(proposal: ColleagueProposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "mailbox_id": proposal.mailbox_id,
        "mailbox": proposal.mailbox.email,
        "colleague_id": proposal.colleague_id,
        "colleague": proposal.colleague.email,
        "status": proposal.status,
        "status_label": proposal.get_status_display(),
        "proposed_by": proposal.proposed_by_email,
        "proposed_at": proposal.proposed_at.isoformat(),
        "decided_by": proposal.decided_by.email if proposal.decided_by else None,
        "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        "reason": proposal.reason,
    }


class DomainOut(Schema):
    """A declared MSSanté domain of the platform (issue #16, point 4)."""

    name: str
    shared: bool
    structures: int
    created_at: str


def domain_out(row: DomainRow) -> dict[str, Any]:
    return {
        "name": row.domain.name,
        "shared": row.domain.shared,
        "structures": row.structures,
        "created_at": row.domain.created_at.isoformat(),
    }
