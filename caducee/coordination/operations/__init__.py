"""Coordination business actions. Each checks permission, validates, writes and audits.

One module per subject; this package re-exports their public names, so that callers write
`from caducee.coordination import operations` and `operations.create_record(…)`:

- `profiles`: rights profiles (and the four defaults) and memberships;
- `records`: dossiers usagers and their liaison log;
- `documents`: a record's documents in the platform's file storage;
- `contacts`: the structure's coordination directory;
- `partners`: a record's partners and their access;
- `externals`: external partner accounts, their creation and invitations;
- `external_changes`: an external account's activation, suspension and modification;
- `_common`: what several of them share (errors, actor label, field cleaners).
"""

from caducee.coordination.operations._common import (
    ACTIVATION_PURPOSE,
    Credentials,
    activation_days,
    check_external_profile,
    clean_email,
    clean_phone,
    clean_postal_code,
    external_detail,
    fail,
    known_to,
    login_url,
    parse_date,
    send_activation,
    who,
)
from caducee.coordination.operations.contacts import (
    ContactInput,
    create_contact,
    directory_candidates,
    import_directory_contact,
    search_contacts,
    update_contact,
)
from caducee.coordination.operations.documents import (
    DOCUMENTS_FOLDER,
    attach_document,
    document_storage_name,
    max_upload_bytes,
    open_document,
)
from caducee.coordination.operations.external_changes import (
    ExternalChanges,
    activate_external_account,
    activation_target,
    modify_external_account,
    resend_activation,
    set_structure_suspension,
)
from caducee.coordination.operations.externals import (
    EXTERNAL_SIREN,
    EXTERNAL_SIRET,
    accept_invitation,
    create_external_account,
    create_external_account_manual,
    external_home_structure,
    pending_invitations,
    suggest_identifier,
)
from caducee.coordination.operations.partners import (
    attach_partner,
    detach_partner,
    set_partner_access,
)
from caducee.coordination.operations.profiles import (
    create_profile,
    delete_profile,
    ensure_default_profiles,
    find_profile,
    remove_membership,
    set_membership,
    team_candidates,
    update_profile,
)
from caducee.coordination.operations.records import (
    RecordInput,
    add_liaison_entry,
    create_record,
    liaison_entries,
    read_record,
    read_record_list,
    search_records,
    update_record,
)

__all__ = [
    "ACTIVATION_PURPOSE",
    "DOCUMENTS_FOLDER",
    "EXTERNAL_SIREN",
    "EXTERNAL_SIRET",
    "ContactInput",
    "Credentials",
    "ExternalChanges",
    "RecordInput",
    "accept_invitation",
    "activate_external_account",
    "activation_days",
    "activation_target",
    "add_liaison_entry",
    "attach_document",
    "attach_partner",
    "check_external_profile",
    "clean_email",
    "clean_phone",
    "clean_postal_code",
    "create_contact",
    "create_external_account",
    "create_external_account_manual",
    "create_profile",
    "create_record",
    "delete_profile",
    "detach_partner",
    "directory_candidates",
    "document_storage_name",
    "ensure_default_profiles",
    "external_detail",
    "external_home_structure",
    "fail",
    "find_profile",
    "import_directory_contact",
    "known_to",
    "liaison_entries",
    "login_url",
    "max_upload_bytes",
    "modify_external_account",
    "open_document",
    "parse_date",
    "pending_invitations",
    "read_record",
    "read_record_list",
    "remove_membership",
    "resend_activation",
    "search_contacts",
    "search_records",
    "send_activation",
    "set_membership",
    "set_partner_access",
    "set_structure_suspension",
    "suggest_identifier",
    "team_candidates",
    "update_contact",
    "update_profile",
    "update_record",
    "who",
]
