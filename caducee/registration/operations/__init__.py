"""Self-registration (« Créer un compte », issue #16): the public steps and the service
centre's decisions.

Public steps (not logged in): a liberal professional proves their address with an emailed
code (`send_registration_code`, `prove_registration_code`); the person of a nominative
account proves it with its password and a login code (identity's login steps, reused by
the views). Nothing is written before that proof. Then `submit_registration` creates the
account in state « à valider » — an ORG mailbox with the proving account as its first
connection account, or a PER account — in the structure matching the typed identifier,
else in a structure created from the form (no domain yet, remembered on the request).

The service centre (the operator, or a person made `ServiceCentreMember`) lists the
requests, then validates (`validate_registration`: attach to an existing structure or keep
the structure, put it on a shared domain, assign the MSSanté address), rejects with a
reason, or asks for a correction (the requester gets a link to edit the request). Each
decision emails the requester and is audited.
"""

from caducee.registration.operations.centre import add_centre_member, remove_centre_member
from caducee.registration.operations.decisions import (
    ask_correction,
    find_request,
    list_registrations,
    reject_registration,
    validate_registration,
)
from caducee.registration.operations.requests import (
    correct_registration,
    prove_registration_code,
    send_registration_code,
    submit_registration,
)

__all__ = [
    "add_centre_member",
    "ask_correction",
    "correct_registration",
    "find_request",
    "list_registrations",
    "prove_registration_code",
    "reject_registration",
    "remove_centre_member",
    "send_registration_code",
    "submit_registration",
    "validate_registration",
]
