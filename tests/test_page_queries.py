"""Every GET list/detail page of the web UI costs a fixed, small number of SQL queries
(issue #14, point 6).

Each page named in `CASES` is measured with a few rows, then with many more: both counts
must be equal (no query per row) and under `PAGE_MAX`, the header included (some apps also
measure their own pages: tests/console/test_queries.py, tests/directory/test_query_counts.py…).
Every other named web URL is in `EXCLUDED` with its reason. Both lists are strict: a URL in
neither, in both, or that no longer exists fails `test_every_web_page_is_measured_or_excluded`.
The lists that grow largest are measured again with each search, filter and deep page they
offer (`VARIANTS`), and « Mes dossiers partagés » as an external partner (issue #19).

Over 500 lines on purpose: the one table of every web page and the row builders it names
read best side by side.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.accounts.operations import (
    add_connection_accounts,
    add_delegate,
    mark_finalised,
    propose_colleague,
)
from caducee.coordination import operations as coordination
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalGrant,
    Membership,
    Record,
    RightsProfile,
)
from caducee.core.context import Context, cli_context
from caducee.directory.operations import assign_mssante_address
from caducee.exports.operations import request_export
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.mail import operations as mail
from caducee.mail import store
from caducee.mail.app_passwords import create_app_password
from caducee.mail.models import Message
from caducee.people.models import User
from caducee.stats.snapshots import take_snapshot
from caducee.structures.models import Structure, StructureAdmin
from caducee.structures.operations import declare_domain
from tests import factories
from tests.directory.helpers import listed_account
from tests.helpers import client_for, ctx_for, page_queries

# Session, person, external-account check, session generation, the header's mailboxes and
# admin link (3), then the view's own reads (its rows, their relations, the counters; the
# mail pages add the unread counters of both spaces and the folder list).
PAGE_MAX = 16
# The coordination pages cost more, still fixed: they read the person's memberships once
# per permission asked (`coordination.access.structures_with`: view, menu, rights; one
# query each), and a coordinator's read of a record is audited (security review M5: two
# savepoints, the chain head, the sequence, the insert, the head update): 21 at most.
COORDINATION_MAX = 21
WEB_NAMESPACES = {"console", "coordination", "directory", "loadusers", "exports", "mail"}
WEB_NAMESPACES |= {"identity", "accounts"}
WEB_NAMESPACES |= {"lifecycle"}
WEB_NAMESPACES |= {"registration"}

Grow = Callable[[int], None]


@dataclass(frozen=True)
class Page:
    """One measured page: the client that opens it, its URL, and how to add `n` rows."""

    client: Client
    url: str
    grow: Grow


_n = itertools.count(1)


def _structures(n: int) -> None:
    for _ in range(n):
        factories.make_structure()


def _shared_domains(n: int) -> None:
    """Shared domains, each with a structure on it (« Domaines MSSanté »)."""
    for _ in range(n):
        name = f"partage{next(_n)}.mssante.fr"
        declare_domain(cli_context(), name, shared=True)
        factories.make_structure(domain=name)


def _registrations(structure: Structure) -> Grow:
    """Self-registration requests waiting in the service centre's queue (issue #16)."""
    from caducee.accounts.models import AccountState
    from caducee.registration.models import RegistrationRequest

    def grow(n: int) -> None:
        for _ in range(n):
            account = factories.make_account(structure, "ORG")
            account.state = AccountState.TO_VALIDATE
            account.save()
            RegistrationRequest.objects.create(
                kind="ORG", account=account, requester_email="demandeur@example.org", region="11"
            )

    return grow


def _accounts(structure: Structure) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            factories.make_account(structure, "MED")

    return grow


def _activity(structure: Structure) -> Grow:
    """Accounts with activity and expiry dates, messages, imports and weekly snapshots."""

    def grow(n: int) -> None:
        for i in range(n):
            account = factories.make_account(structure, "MED")
            now = timezone.now() - timedelta(weeks=i)
            Account.objects.filter(pk=account.pk).update(
                last_login_at=now, expiry_date=(now + timedelta(days=10)).date()
            )
            mail.deliver_inbound(b"Subject: x\r\n\r\nx\r\n", [account])
            ImportJob.objects.create(
                structure=structure, actor_label="a@b.fr", file_name=f"f{i}.csv", status="done"
            )
            take_snapshot(now)

    return grow


def _admins(structure: Structure) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            factories.make_admin(structure, f"admin{next(_n)}@ch-a.fr")

    return grow


def _coordinator(structure: Structure) -> User:
    coordination.ensure_default_profiles(structure)
    user = factories.make_account(structure, "MED", "coordinatrice@ch-a.fr").user
    assert user is not None
    profile = RightsProfile.objects.get(structure=structure, name="Coordinateur interne")
    Membership.objects.create(user=user, structure=structure, profile=profile)
    factories.make_admin(structure, user.email)
    return user


def _records(structure: Structure) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            coordination.create_record(
                cli_context(),
                structure,
                coordination.RecordInput(
                    last_name=f"Patient{next(_n)}", first_name="Jeanne", birth_date="01/02/1940"
                ),
            )

    return grow


def _contacts(structure: Structure) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            i = next(_n)
            coordination.create_contact(
                cli_context(),
                structure,
                coordination.ContactInput(last_name=f"Contact{i}", email=f"c{i}@x.fr"),
            )

    return grow


def _members(structure: Structure) -> Grow:
    profile = RightsProfile.objects.get(structure=structure, name="Lecteur interne")

    def grow(n: int) -> None:
        for _ in range(n):
            user = factories.make_account(structure, "MED").user
            assert user is not None
            Membership.objects.create(user=user, structure=structure, profile=profile)

    return grow


def _mailboxes(structure: Structure, email: str) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            factories.make_account(structure, "ORG", connection_accounts=email)

    return grow


def _operator_page(
    name: str, grow: Callable[[Structure], Grow] | None = None
) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        rows = _structures if grow is None else grow(structure)
        return Page(client_for(factories.make_operator()), reverse(name), rows)

    return build


def _admin_page(
    name: str, grow: Callable[[Structure], Grow], *, operator: bool = False, args: bool = True
) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        if operator:
            user = factories.make_operator()
        else:
            user = factories.make_admin(structure, "alice.admin@ch-a.fr")
        url = reverse(name, args=[structure.pk] if args else [])
        return Page(client_for(user), url, grow(structure))

    return build


def _coordination_page(name: str, grow: Callable[[Structure], Grow]) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        return Page(client_for(_coordinator(structure)), reverse(name), grow(structure))

    return build


def _record_page(name: str) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        user = _coordinator(structure)
        _records(structure)(1)
        record = Record.objects.get(structure=structure)
        return Page(client_for(user), reverse(name, args=[record.pk]), _records(structure))

    return build


def _person_page(name: str) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        account = factories.make_account(structure, "PER", "pierre.martin@ch-a.fr")
        assert account.user is not None
        mark_finalised(account)
        return Page(client_for(account.user), reverse(name), _mailboxes(structure, account.email))

    return build


def _mail_person(structure: Structure) -> Account:
    account = factories.make_account(
        structure, "PER", email="martine@perso.example.org", mssante_particle="martine"
    )
    assert account.user is not None
    return account


def _message(mailbox: Account, n: int) -> Message:
    data = f"From: x{n}@ch-a.mssante.fr\r\nSubject: Message {n}\r\n\r\nTexte\r\n"
    return mail.store_message(mailbox, data.encode())


def _messages(mailbox: Account) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            _message(mailbox, next(_n))

    return grow


def _app_passwords_page(structure: Structure) -> Page:
    user = _mail_person(structure).user
    assert user is not None

    def grow(n: int) -> None:
        for _ in range(n):
            create_app_password(ctx_for(user), user, f"Client {next(_n)}")

    return Page(client_for(user), reverse("mail:app_passwords"), grow)


def _org_for(structure: Structure, member: Account) -> Account:
    """A new ORG mailbox `member` connects to (with receipt notification)."""
    i = next(_n)
    org = factories.make_account(
        structure,
        "ORG",
        email=f"service{i}@ch-a.example.org",
        mssante_particle=f"service{i}",
        connection_accounts=member.email,
    )
    org.connection_links.filter(account=member).update(notify_on_receipt=True)
    return org


def _mail_settings_page(structure: Structure) -> Page:
    """« Paramètres »: one row per linked mailbox, and the person's proposals."""
    account = _mail_person(structure)
    assert account.user is not None
    user = account.user

    def grow(n: int) -> None:
        for _ in range(n):
            org = _org_for(structure, account)
            colleague = factories.make_account(structure, "MED")
            propose_colleague(ctx_for(user), org, colleague.email)

    return Page(client_for(user), reverse("mail:settings"), grow)


def _proposals(structure: Structure) -> Grow:
    member = factories.make_account(structure, "MED", email="secretaire@ch-a.example.org")
    assert member.user is not None
    user = member.user

    def grow(n: int) -> None:
        for _ in range(n):
            org = _org_for(structure, member)
            for _ in range(2):
                colleague = factories.make_account(structure, "MED")
                propose_colleague(ctx_for(user), org, colleague.email)

    return grow


def _read_page(structure: Structure) -> Page:
    account = _mail_person(structure)
    assert account.user is not None
    url = reverse("mail:read", args=[_message(account, 0).pk])
    return Page(client_for(account.user), url, _messages(account))


def _job_page(structure: Structure) -> Page:
    """An import's report: its rows are the problems found in the file (one per line)."""
    admin = factories.make_admin(structure, "alice.admin@ch-a.fr")
    job = ImportJob.objects.create(
        structure=structure, actor=admin, actor_label=admin.email, file_name="f.csv"
    )
    job.status = JobStatus.PREVIEWED
    job.save()

    def grow(n: int) -> None:
        job.refresh_from_db()
        problems = job.problems
        for _ in range(n):
            line = len(problems) + 2
            problems.append({"line": line, "severity": "error", "message": "RPPS invalide"})
        job.result = {**job.result, "problems": problems}
        job.save()

    return Page(client_for(admin), reverse("loadusers:job", args=[structure.pk, job.pk]), grow)


def _account_page(name: str) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        admin = factories.make_admin(structure, "alice.admin@ch-a.fr")
        account = factories.make_account(structure, "PER")
        url = reverse(name, args=[structure.pk, account.pk])
        return Page(client_for(admin), url, _accounts(structure))

    return build


def _move_page(structure: Structure) -> Page:
    """The preview of « Rattacher à une autre structure »: rows are the ORG mailboxes whose
    connection account would be detached, and the structures the admin may choose."""
    other = factories.make_structure()
    admin = factories.make_admin(structure, "alice.admin@ch-a.fr")
    StructureAdmin.objects.create(user=admin, structure=other)
    account = factories.make_account(structure, "PER")
    url = reverse("console:account_move", args=[structure.pk, account.pk])

    def grow(n: int) -> None:
        for _ in range(n):
            org = factories.make_account(structure, "ORG")
            add_connection_accounts(cli_context(), org, account.email)
            StructureAdmin.objects.create(user=admin, structure=factories.make_structure())

    return Page(client_for(admin), f"{url}?structure={other.pk}", grow)


def _compose_page(structure: Structure) -> Page:
    account = _mail_person(structure)
    assert account.user is not None
    return Page(client_for(account.user), reverse("mail:compose", args=["pro"]), _messages(account))


def _contact_page(structure: Structure) -> Page:
    user = _coordinator(structure)
    _contacts(structure)(1)
    contact = Contact.objects.get(structure=structure)
    url = reverse("coordination:contact_edit", args=[contact.pk])
    return Page(client_for(user), url, _contacts(structure))


def _profile_page(structure: Structure) -> Page:
    user = _coordinator(structure)
    profile = RightsProfile.objects.get(structure=structure, name="Lecteur interne")
    url = reverse("coordination:profile_edit", args=[profile.pk])
    return Page(client_for(user), url, _members(structure))


def _external_page(structure: Structure) -> Page:
    user = _coordinator(structure)
    external = ExternalAccount.objects.get(user=factories.make_external(structure, "f@x.fr"))
    url = reverse("coordination:external_edit", args=[external.pk])
    return Page(client_for(user), url, _contacts(structure))


def _listed(structure: Structure) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            account = listed_account(structure, last_name=f"NOM{next(_n)}", first_name="Jeanne")
            assign_mssante_address(cli_context(), account, None)

    return grow


def _exports(structure: Structure) -> Grow:
    user = StructureAdmin.objects.get(structure=structure).user  # the page's only admin

    def grow(n: int) -> None:
        for _ in range(n):
            request_export(Context(user=user), structure, "accounts", "csv")

    return grow


def _jobs(structure: Structure) -> Grow:
    def grow(n: int) -> None:
        for _ in range(n):
            ImportJob.objects.create(
                structure=structure,
                actor_label="alice.admin@ch-a.fr",
                file_name=f"f{next(_n)}.csv",
                status=JobStatus.DONE,
            )

    return grow


def _shared_mailbox_page(structure: Structure) -> Page:
    """A shared mailbox's account page: its rows are the connection accounts and delegates."""
    admin = factories.make_admin(structure, "alice.admin@ch-a.fr")
    org = factories.make_account(structure, "ORG")

    def grow(n: int) -> None:
        members = [factories.make_account(structure, "MED") for _ in range(n)]
        add_connection_accounts(cli_context(), org, ",".join(m.email for m in members))
        add_delegate(cli_context(), org, members[0].email)

    url = reverse("console:account", args=[structure.pk, org.pk])
    return Page(client_for(admin), url, grow)


def _search_page(structure: Structure) -> Page:
    user = factories.make_account(structure, "PER", "pierre.martin@ch-a.fr").user
    assert user is not None
    url = reverse("directory:search") + "?q=jeanne"
    return Page(client_for(user), url, _listed(structure))


def _folder_page(structure: Structure) -> Page:
    account = _mail_person(structure)
    assert account.user is not None
    url = reverse("mail:folder", args=["pro", "inbox"])
    return Page(client_for(account.user), url, _messages(account))


def _partners_page(structure: Structure) -> Page:
    user = _coordinator(structure)
    _records(structure)(1)
    record = Record.objects.get(structure=structure)

    def grow(n: int) -> None:
        for _ in range(n):
            i = next(_n)
            contact = coordination.create_contact(
                cli_context(),
                structure,
                coordination.ContactInput(last_name=f"Partenaire{i}", email=f"p{i}@x.fr"),
            )
            coordination.attach_partner(cli_context(), record, contact, "autre")

    return Page(client_for(user), reverse("coordination:partners", args=[record.pk]), grow)


CASES: dict[str, Callable[[Structure], Page]] = {
    "console:structure": _admin_page("console:structure", _accounts),
    "console:accounts": _admin_page("console:accounts", _accounts),
    "console:audit": _admin_page("console:audit", _accounts),
    "console:account": _shared_mailbox_page,
    "identity:security": _person_page("identity:security"),
    "directory:search": _search_page,
    "directory:correspondences": _admin_page("directory:correspondences", _listed),
    "exports:mine": _admin_page("exports:mine", _exports, args=False),
    "loadusers:import": _admin_page("loadusers:import", _jobs),
    "mail:folder": _folder_page,
    "coordination:partners": _partners_page,
    "console:structure_edit": _admin_page("console:structure_edit", _accounts, operator=True),
    "console:account_change_type": _account_page("console:account_change_type"),
    "console:account_move": _move_page,
    "directory:address": _account_page("directory:address"),
    "identity:password_change": _person_page("identity:password_change"),
    "accounts:my_email": _person_page("accounts:my_email"),
    "identity:totp": _person_page("identity:totp"),
    "identity:sms": _person_page("identity:sms"),
    "mail:compose": _compose_page,
    "coordination:record_edit": _record_page("coordination:record_edit"),
    "coordination:contact_edit": _contact_page,
    "coordination:profile_edit": _profile_page,
    "coordination:external_edit": _external_page,
    "loadusers:job": _job_page,
    "mail:app_passwords": _app_passwords_page,
    "mail:settings": _mail_settings_page,
    "console:colleague_proposals": _admin_page("console:colleague_proposals", _proposals),
    "mail:read": _read_page,
    "console:structures": _operator_page("console:structures"),
    "console:scheduler": _operator_page("console:scheduler"),
    "console:domains": _operator_page("console:domains", lambda _s: _shared_domains),
    "registration:queue": _operator_page("registration:queue", _registrations),
    "console:structure_admins": _admin_page("console:structure_admins", _admins, operator=True),
    "console:email_changes": _admin_page("console:email_changes", _accounts),
    "console:activity": _admin_page("console:activity", _activity),
    "console:platform_activity": _operator_page("console:platform_activity", _activity),
    "directory:quotas": _admin_page("directory:quotas", _accounts),
    "directory:report": _admin_page("directory:report", _accounts),
    "directory:push": _admin_page("directory:push", _accounts),
    "directory:my_listing": _person_page("directory:my_listing"),
    "coordination:home": _coordination_page("coordination:home", _records),
    "coordination:contacts": _coordination_page("coordination:contacts", _contacts),
    "coordination:profiles": _coordination_page("coordination:profiles", _contacts),
    "coordination:members": _coordination_page("coordination:members", _members),
    "coordination:externals": _coordination_page("coordination:externals", _contacts),
    "coordination:record": _record_page("coordination:record"),
    "coordination:liaison": _record_page("coordination:liaison"),
    "coordination:documents": _record_page("coordination:documents"),
}

POST_ONLY = "POST-only action (GET answers 405 or redirects)"
FORM = "form page: one object or none, no list of rows"
DOWNLOAD = "file download, no HTML page nor header"
FRAGMENT = "htmx/JSON fragment, no header"
TOKEN = "link page reached by a token, anonymous, no header"
LOGIN = "login step, anonymous, no header"

EXCLUDED: dict[str, str] = {
    # identity
    "identity:home": "redirects to the mailbox (mail:folder)",
    "identity:login": LOGIN,
    "identity:code": LOGIN,
    "identity:code_resend": POST_ONLY,
    "identity:psc_start": "redirects to Pro Santé Connect, anonymous, no header",
    "identity:psc_callback": "return from Pro Santé Connect: redirects, anonymous",
    "identity:psc_choose": LOGIN,
    "identity:logout": POST_ONLY,
    "identity:switch": POST_ONLY,
    "identity:browser_revoke": POST_ONLY,
    "identity:logout_everywhere": POST_ONLY,
    "identity:totp_disable": POST_ONLY,
    "identity:sms_disable": POST_ONLY,
    "identity:forgot": LOGIN,
    "identity:reset": TOKEN,
    "identity:finalise": TOKEN,
    "identity:setup": TOKEN,
    "identity:set_password": TOKEN,
    "identity:cgu": "static text, anonymous",
    "identity:remind": POST_ONLY,
    "identity:last_reminder": FRAGMENT,
    "identity:resend": POST_ONLY,
    "identity:second_factor_reset": POST_ONLY,
    # issue #17: client certificates
    "identity:cps_login": "CPS card login: redirects or a refusal page, anonymous",
    "identity:cps_choose": LOGIN,
    "identity:certificate_request": "POST only: issues a certificate (RSA key, PKCS#12)",
    "identity:certificate_download": DOWNLOAD,
    "identity:certificate_revoke": POST_ONLY,
    "accounts:email_change_confirm": TOKEN,
    "accounts:my_email_cancel": POST_ONLY,
    # console
    "console:home": "redirects to the structure list (or the structure of its admin)",
    "console:structure_create": FORM,
    "console:structure_admin_remove": POST_ONLY,
    "console:account_new": FORM,
    "console:account_create": FORM,
    "console:candidates": FRAGMENT,
    "console:email_change_resend": POST_ONLY,
    "console:email_change_cancel": POST_ONLY,
    "console:account_deactivate": POST_ONLY,
    "console:account_reactivate": POST_ONLY,
    "console:email_change_request": POST_ONLY,
    "console:connection_add": POST_ONLY,
    "console:connection_remove": POST_ONLY,
    "console:mailbox_settings": POST_ONLY,
    "console:delegate_add": POST_ONLY,
    "console:delegate_remove": POST_ONLY,
    "console:delegate_right": POST_ONLY,
    "console:activity_csv": DOWNLOAD,
    "console:platform_activity_csv": DOWNLOAD,
    "console:colleague_proposal_approve": POST_ONLY,
    "console:colleague_proposal_refuse": POST_ONLY,
    "console:colleague_policy": POST_ONLY,
    # loadusers, exports
    "loadusers:template": DOWNLOAD,
    "loadusers:job_progress": FRAGMENT,
    "loadusers:job_confirm": POST_ONLY,
    "loadusers:job_report": DOWNLOAD,
    "loadusers:export": DOWNLOAD,
    "exports:download": DOWNLOAD,
    "lifecycle:exempt": POST_ONLY,
    "lifecycle:unexempt": POST_ONLY,
    "lifecycle:export": DOWNLOAD,
    # directory
    "directory:autocomplete": FRAGMENT,
    "directory:export": DOWNLOAD,
    # mail
    "mail:home": "redirects to the inbox (mail:folder)",
    "mail:attachment": DOWNLOAD,
    "mail:folder_edit": POST_ONLY,
    "mail:autocomplete": FRAGMENT,
    "mail:manifest": "the web app manifest (JSON, public, no query)",
    "mail:empty_trash": POST_ONLY,
    "mail:folder_create": POST_ONLY,
    "mail:action": POST_ONLY,
    # coordination
    "coordination:record_create": FORM,
    "coordination:document": DOWNLOAD,
    "coordination:partner_attach": FORM,
    "coordination:partner_directory": FRAGMENT,
    "coordination:partner_detach": POST_ONLY,
    "coordination:partner_access": POST_ONLY,
    "coordination:partner_suspend": POST_ONLY,
    "coordination:partner_external": FORM,
    "coordination:contact_create": FORM,
    "coordination:contact_import": POST_ONLY,
    "coordination:profile_create": FORM,
    "coordination:profile_delete": POST_ONLY,
    "coordination:member_remove": POST_ONLY,
    "coordination:external_create": FORM,
    "coordination:external_suspend": POST_ONLY,
    "coordination:external_resend": POST_ONLY,
    "coordination:activate": TOKEN,
    "coordination:invitation_accept": POST_ONLY,
    # registration (issue #16)
    "registration:start": LOGIN,
    "registration:choice": LOGIN,
    "registration:org_question": LOGIN,
    "registration:org_prove": LOGIN,
    "registration:per_email": LOGIN,
    "registration:org_email": LOGIN,
    "registration:code": LOGIN,
    "registration:code_resend": POST_ONLY,
    "registration:form": LOGIN,
    "registration:done": LOGIN,
    "registration:correct": TOKEN,
    "registration:detail": FORM,
    "registration:validate": POST_ONLY,
    "registration:reject": POST_ONLY,
    "registration:correction": POST_ONLY,
}


# Issue #16: onboarding (the service centre's queue of « Demandes de raccordement »).
WEB_NAMESPACES |= {"onboarding"}


def _connection_requests(n: int) -> None:
    """Requests handled by an operator, half of them with their structure created."""
    from caducee.onboarding.models import ConnectionRequest

    handler = User.objects.filter(is_operator=True).first()
    for _ in range(n):
        k = next(_n)
        ConnectionRequest.objects.create(
            structure_name=f"Pharmacie {k}",
            id_type="FINESS_EG",
            id_number=factories.finess(),
            postal_code="81000",
            city="ALBI",
            department="81",
            region="76",
            last_name="MARTIN",
            first_name="Claire",
            function="Pharmacienne",
            email=f"pharmacie{k}@example.org",
            phone="0563000000",
            expected_users=3,
            handled_by=handler,
            structure=factories.make_structure() if k % 2 else None,
        )


def _request_detail(structure: Structure) -> Page:
    from caducee.onboarding.models import ConnectionRequest

    client = client_for(factories.make_operator())
    _connection_requests(1)
    url = reverse("onboarding:detail", args=[ConnectionRequest.objects.latest("pk").pk])
    return Page(client, url, _structures)


CASES |= {
    "onboarding:queue": _operator_page("onboarding:queue", lambda _s: _connection_requests),
    "onboarding:detail": _request_detail,
}
EXCLUDED |= {
    "onboarding:request": FORM,
    "onboarding:request_sent": "static text, anonymous",
    "onboarding:take": POST_ONLY,
    "onboarding:answer": POST_ONLY,
    "onboarding:create_structure": POST_ONLY,
}


def _web_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _web_names(entry.url_patterns, entry.namespace or namespace)
        elif entry.name and namespace in WEB_NAMESPACES:
            yield f"{namespace}:{entry.name}"


def test_every_web_page_is_measured_or_excluded() -> None:
    names = set(_web_names(get_resolver().url_patterns))
    assert not set(CASES) & set(EXCLUDED)
    listed = set(CASES) | set(EXCLUDED)
    assert sorted(names - listed) == [], "measure these pages or exclude them with a reason"
    assert sorted(listed - names) == [], "these URL names no longer exist"


def _check(name: str, build: Callable[[Structure], Page], structure: Structure) -> None:
    page = build(structure)
    page.grow(2)
    few = page_queries(page.client, page.url)
    page.grow(10)
    many = page_queries(page.client, page.url)
    assert (name, many) == (name, few)
    ceiling = COORDINATION_MAX if name.startswith("coordination:") else PAGE_MAX
    assert few <= ceiling, (name, few)


@pytest.fixture
def _files(settings: Any, tmp_path: Path) -> None:
    settings.MAIL_ROOT = tmp_path / "mail"  # the mail pages' message files
    settings.HOME = tmp_path
    store._made.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("_files")
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_page_costs_the_same_for_few_or_many_rows(name: str, structure_a: Structure) -> None:
    _check(name, CASES[name], structure_a)


# Issue #19, point 2: the lists that grow to hundreds of thousands of rows (the console's
# accounts, the directory, the records) cost the same with each search, filter and deep
# page they offer: (page of CASES, query string replacing its own).
VARIANTS: list[tuple[str, str]] = [
    ("console:accounts", "q=user"),  # login (email), every row
    ("console:accounts", "q=dupont"),  # last name
    ("console:accounts", "q=jeanne&etat=preinscrit&type=MED"),
    ("console:accounts", "q=zzzz"),  # nothing
    ("console:accounts", "q=1234"),  # digits: RPPS / ADELI too
    ("console:accounts", "etat=preinscrit"),
    ("console:accounts", "type=MED"),
    ("console:accounts", "expire=bientot"),
    ("console:accounts", "apres=user"),  # a page after a key
    ("console:accounts", "avant=zzz"),  # the last page
    ("console:accounts", "q=user&etat=preinscrit&apres=user"),
    ("directory:search", ""),  # the list, no search
    ("directory:search", "q=jeanne&page=2"),
    ("directory:search", "q=nom&type=PER&departement=75"),
    ("directory:search", "q=zzzz"),
    ("coordination:home", "q=patient"),
    ("coordination:home", "q=01/02/1940"),
    ("coordination:home", "q=patient&page=2"),
]


def _variant(name: str, query: str) -> Callable[[Structure], Page]:
    def build(structure: Structure) -> Page:
        page = CASES[name](structure)
        return Page(page.client, f"{page.url.split('?')[0]}?{query}", page.grow)

    return build


def _shared_records_page(query: str) -> Callable[[Structure], Page]:
    """« Mes dossiers partagés »: an external partner's records, each in another structure
    that invited the partner (each structure listed has its own audit journal)."""

    def build(structure: Structure) -> Page:
        user = factories.make_external(structure, "partenaire@ext.fr")
        external = ExternalAccount.objects.get(user=user)

        def grow(n: int) -> None:
            for _ in range(n):
                other = factories.make_structure()
                ExternalGrant.objects.create(
                    structure=other, external=external, accepted_at=timezone.now()
                )
                contact = Contact.objects.create(
                    structure=other,
                    last_name="PARTENAIRE",
                    email=user.email,
                    external_account=external,
                )
                _records(other)(1)
                record = Record.objects.get(structure=other)
                coordination.attach_partner(cli_context(), record, contact, "medecin_traitant")

        return Page(client_for(user), f"{reverse('coordination:home')}?{query}", grow)

    return build


MORE_CASES: dict[str, Callable[[Structure], Page]] = {
    f"{name}?{query}": _variant(name, query) for name, query in VARIANTS
} | {
    "coordination:home (partenaire externe)": _shared_records_page(""),
    "coordination:home (partenaire externe)?q=patient": _shared_records_page("q=patient"),
    "coordination:home (partenaire externe)?page=2": _shared_records_page("page=2"),
}


@pytest.mark.django_db
@pytest.mark.usefixtures("_files")
@pytest.mark.parametrize("label", sorted(MORE_CASES))
def test_searches_filters_and_deep_pages_cost_the_same_for_few_or_many_rows(
    label: str, structure_a: Structure
) -> None:
    _check(label, MORE_CASES[label], structure_a)
