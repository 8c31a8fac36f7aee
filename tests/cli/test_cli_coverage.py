"""Every public operation can be run from the CLI, by an operator with shell access
(issue #14, point 5: "the same actions from the CLI").

Every public function of `caducee.<app>.operations` must be reached from the function of
some `caducee …` command (the `func` its argparse parser dispatches to, read from
`caducee.cli.main.build_parser`), directly or through helpers, as the API coverage test
reads it (`tests.api.test_api_coverage`). What is not reached is named in
`OPERATION_EXCLUSIONS` with its reason. The list is strict: an entry that became covered
(or no longer exists) fails the test, so it only shrinks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from types import FunctionType
from typing import Any

import pytest

from caducee.cli.main import build_parser
from tests.api.test_api_coverage import _operations, _reached

_HELPER = "a helper or predicate used by operations, views or imports: not an action of its own"
_LOGIN = "a login step of a person in a browser: the CLI acts as the server, never logs in"
_OWN = "a person's own webmail action: the CLI acts as the server, never as a person's mailbox"
_LINK = "opened by a person from a link received by email (a token in the URL)"
_SERVER = "done by the platform itself (worker task, SMTP server, scheduler), not a command"
_EXPORTS = (
    "a person's own export queue, downloaded in their browser; the operator reads the same "
    "data directly (`account list --json`, `directory export`, `loadusers`)"
)
_MISSING = "missing: no CLI command yet"
_PUBLIC = "a visitor's step of « Créer un compte » (issue #16), proven by an emailed code"

OPERATION_EXCLUSIONS: dict[str, str] = {
    "registration.operations.send_registration_code": _PUBLIC,
    "registration.operations.prove_registration_code": _PUBLIC,
    "registration.operations.submit_registration": _PUBLIC,
    "registration.operations.correct_registration": _PUBLIC,
    "accounts.operations.update_mailbox_settings": "the console's one form for the default "
    "mailbox and the notifications, atomic; the CLI sets each with its own command "
    "(`account default-mailbox`, `account receipt-notification`)",
    "accounts.operations.account_values": _HELPER,
    "accounts.operations.mark_finalised": _HELPER,
    "accounts.operations.validate_for": _HELPER,
    "coordination.operations.activation_target": _HELPER,
    "coordination.operations.directory_candidates": _HELPER,
    "exports.operations.in_background": _HELPER,
    "exports.operations.retention": _HELPER,
    "identity.operations.account_refusal": _HELPER,
    "identity.operations.cgu_to_accept_again": _HELPER,
    "identity.operations.check_password_rules": _HELPER,
    "identity.operations.finalisation_account": _HELPER,
    "identity.operations.login_refusal": _HELPER,
    "identity.operations.shared_mailbox": _HELPER,
    "mail.operations.audit_shared": _HELPER,
    "mail.operations.check_app_password": _HELPER,
    "mail.operations.require_mailbox": _HELPER,
    "mail.operations.space_for": _HELPER,
    "identity.operations.accept_cgu": _LOGIN,
    "identity.operations.complete_login": _LOGIN,
    "identity.psc.operations.psc_login": _LOGIN,
    "identity.psc.operations.psc_refused": _LOGIN,
    # Issue #17: the CPS card login and the partner certificate as a second factor.
    "identity.certificates.operations.certificate_login": _LOGIN,
    "identity.certificates.operations.cps_login": _LOGIN,
    "identity.certificates.operations.cps_refused": _LOGIN,
    "identity.operations.login_failed": _LOGIN,
    "identity.operations.record_logout": _LOGIN,
    "identity.operations.send_login_code": _LOGIN,
    "identity.operations.switch_mailbox": _LOGIN,
    "identity.operations.verify_second_factor": _LOGIN,
    "coordination.operations.activate_external_account": _LINK,
    "identity.operations.create_first_operator": _LINK + " (`caducee setup-link` prints it)",
    "identity.operations.finalise_account": _LINK,
    "identity.operations.request_password_reset": _LINK,
    "identity.operations.reset_password": _LINK,
    "identity.operations.set_password_with_link": _LINK,
    "exports.operations.build": _SERVER,
    "exports.operations.claim": _SERVER,
    "exports.operations.fail": _SERVER,
    "exports.operations.purge_expired": _SERVER,
    "mail.operations.commit_inbound": _SERVER,
    "mail.operations.purge_delivered": _SERVER,
    "mail.operations.submit_raw": _SERVER,
    "onboarding.operations.submit_connection_request": "sent by the structure from the "
    "public « Demande de raccordement » form; the CLI answers it (`caducee onboarding`)",
    "exports.operations.open_file": _EXPORTS,
    "exports.operations.request_export": _EXPORTS,
    "coordination.operations.accept_invitation": _OWN,
    "coordination.operations.pending_invitations": _OWN,
    "coordination.operations.search_records": _OWN,
    "identity.operations.change_password": _OWN,
    "identity.operations.disable_totp": _OWN,
    "identity.operations.enable_totp": _OWN,
    "identity.operations.disable_sms": _OWN,
    "identity.operations.enable_sms": _OWN,
    "identity.operations.start_sms_setup": _OWN,
    "identity.operations.remembered_browsers": _OWN,
    "identity.operations.revoke_browser": _OWN,
    # Issue #17: the partner asks for their certificate and downloads it in their browser
    # (its key and password are theirs alone); the server revokes with
    # `certificates revoke` (revoke_certificate).
    "identity.certificates.operations.issue_certificate": _OWN,
    "identity.certificates.operations.take_certificate_file": _OWN,
    "mail.operations.create_app_password": _OWN,
    "mail.operations.create_folder": _OWN,
    "mail.operations.delete_folder": _OWN,
    "mail.operations.delete_rows": _HELPER,
    "mail.operations.deliver_inbound": _SERVER,
    "mail.operations.empty_trash": _OWN,
    "mail.operations.export_messages": _OWN,
    "mail.operations.get_folder": _OWN,
    "mail.operations.get_message": _OWN,
    "mail.operations.mark_seen": _OWN,
    "mail.operations.set_flags": _OWN,  # issue #18: read/flagged/deleted, webmail and IMAP
    "mail.operations.messages_in": _OWN,
    "mail.operations.search_in": _OWN,
    "mail.operations.move_messages": _OWN,
    "mail.operations.prepare_message": _SERVER,
    "mail.operations.raw_message": _OWN,
    "mail.operations.read_message": _OWN,
    "mail.operations.rename_folder": _OWN,
    "mail.operations.revoke_app_password": _OWN,
    "mail.operations.save_draft": _OWN,
    "mail.operations.send_message": _OWN,
    "mail.operations.store_message": _SERVER,
    "mail.operations.trash_messages": _OWN,
    "accounts.operations.propose_colleague": _OWN,
}


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _handlers() -> list[Callable[..., Any]]:
    """The functions the `caducee` commands dispatch to (each parser's `func` default)."""
    found: list[Callable[..., Any]] = []
    for parser in _parsers(build_parser()):
        func = parser._defaults.get("func")
        if func is not None and func not in found:
            found.append(func)
    return found


def _submodule_targets(func: Any) -> list[FunctionType]:
    """Functions a handler calls through a locally imported submodule
    (`from caducee.accounts import operations` then `operations.create_account(…)`)."""
    names = set(func.__code__.co_names)
    targets: list[FunctionType] = []
    for package in names:
        for attr in names:
            module = sys.modules.get(f"{package}.{attr}")
            if module is None:
                continue
            for name in names:
                target = getattr(module, name, None)
                if isinstance(target, FunctionType):
                    targets.append(target)
    return targets


@pytest.fixture(scope="module")
def uncovered() -> set[str]:
    # The operations first: listing them imports every module of caducee, which the walk
    # needs to follow a handler's local imports (alone, this file found none of them).
    operations = _operations()
    reached: set[FunctionType] = set()
    for handler in _handlers():
        reached |= _reached(handler)
        for target in _submodule_targets(handler):
            reached |= _reached(target)
    return {name for name, func in operations.items() if func not in reached}


def test_handlers_are_found() -> None:
    names = {f.__name__ for f in _handlers()}
    assert {"create_account", "edit_structure", "red_list_cmd", "set_default"} <= names, names


def test_every_operation_has_a_command(uncovered: set[str]) -> None:
    new = sorted(uncovered - set(OPERATION_EXCLUSIONS))
    assert not new, f"Operations with no CLI command (add one, or a reasoned exclusion): {new}"
    stale = sorted(set(OPERATION_EXCLUSIONS) - uncovered)
    assert not stale, f"Covered now or gone: remove from OPERATION_EXCLUSIONS: {stale}"


def test_every_exclusion_gives_a_reason() -> None:
    for name, reason in OPERATION_EXCLUSIONS.items():
        assert len(reason) > 15, name
