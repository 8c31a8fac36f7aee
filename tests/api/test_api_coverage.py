"""Everything a person can do on a page, and every public operation, has an API route.

- Every public function of `caducee.<app>.operations` (module or package) must be reached
  from some API route: the route's function calls it, directly or through helpers (read
  from the compiled code: names a function uses, followed a few calls deep).
- Every named console/web URL (walking `caducee.urls`) must be covered: named in
  `WEB_ROUTES` with the API routes that do the same, or its view reaches at least one
  operation and the API reaches every operation it reaches.

What is not covered is named in `OPERATION_EXCLUSIONS` / `WEB_EXCLUSIONS` with its reason.
Both lists are strict: an entry that became covered (or no longer exists) fails the test,
so they only shrink. "Missing" entries are routes still to write.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Callable, Iterator
from types import CodeType, FunctionType, ModuleType
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from ninja import Router

import caducee
from caducee.api.main import api

DEPTH = 4  # calls followed from a route or a view to the operation
MISSING = "missing: no API route yet"
PAGE_ONLY = "page only: "

# URL name → API routes ("METHOD /api/v1/path") doing the same (read pages, mostly).
WEB_ROUTES: dict[str, list[str]] = {
    "directory:search": ["GET /api/v1/directory"],
    "directory:quotas": [
        "GET /api/v1/structures/{structure_id}/quotas",
        "PUT /api/v1/structures/{structure_id}/quotas/{group}",
    ],
    "directory:report": ["GET /api/v1/structures/{structure_id}/feed-report"],
    "directory:export": ["GET /api/v1/structures/{structure_id}/publication"],
    "directory:push": [
        "GET /api/v1/structures/{structure_id}/directory-push",
        "POST /api/v1/structures/{structure_id}/directory-push",
    ],
    "directory:address": [
        "PUT /api/v1/accounts/{account_id}/mssante",
        "PUT /api/v1/accounts/{account_id}/red-list",
    ],
    "exports:mine": ["GET /api/v1/exports"],
    "exports:download": ["GET /api/v1/exports/{export_id}/file"],
    "console:structures": ["GET /api/v1/structures"],
    "console:accounts": ["GET /api/v1/structures/{structure_id}/accounts"],
    "loadusers:template": ["GET /api/v1/loadusers/template.{fmt}"],
    "loadusers:export": ["GET /api/v1/structures/{structure_id}/loadusers/export.{fmt}"],
    "mail:home": ["GET /api/v1/mail/mailboxes", "GET /api/v1/mail/messages"],
    "mail:folder": ["GET /api/v1/mail/messages"],
    # « Ma boîte »: the mailbox in use and « Changer de compte » (the API lists the same
    # mailboxes, delegated ones aside: a delegation opens the webmail only).
    "identity:home": ["GET /api/v1/mail/mailboxes"],
    "mail:read": ["GET /api/v1/mail/messages/{message_id}"],
    "identity:remind": ["POST /api/v1/structures/{structure_id}/reminders"],
    "identity:last_reminder": ["GET /api/v1/structures/{structure_id}/reminders/last"],
    "identity:resend": ["POST /api/v1/accounts/{account_id}/finalisation-link"],
    "coordination:home": ["GET /api/v1/coordination/records"],
    "coordination:record": ["GET /api/v1/coordination/records/{record_id}"],
    "coordination:liaison": [
        "GET /api/v1/coordination/records/{record_id}/liaison",
        "POST /api/v1/coordination/records/{record_id}/liaison",
    ],
    "coordination:documents": ["GET /api/v1/coordination/records/{record_id}/documents"],
    "console:audit": ["GET /api/v1/structures/{structure_id}/audit"],
    "console:account": ["GET /api/v1/accounts/{account_id}", "PATCH /api/v1/accounts/{account_id}"],
    "console:account_change_type": [
        "GET /api/v1/accounts/{account_id}/type-preview",
        "POST /api/v1/accounts/{account_id}/type",
    ],
    "console:mailbox_settings": [
        "GET /api/v1/accounts/{account_id}/mailboxes",
        "PUT /api/v1/accounts/{account_id}/default-mailbox",
        "PUT /api/v1/accounts/{account_id}/mailboxes/{mailbox_id}/receipt-notification",
    ],
    "console:email_changes": ["GET /api/v1/structures/{structure_id}/email-changes"],
    "console:email_change_request": ["POST /api/v1/accounts/{account_id}/email-change"],
    "console:email_change_resend": [
        "POST /api/v1/structures/{structure_id}/email-changes/{change_id}/resend"
    ],
    "console:email_change_cancel": [
        "DELETE /api/v1/structures/{structure_id}/email-changes/{change_id}"
    ],
    "coordination:externals": ["GET /api/v1/coordination/external-accounts"],
    "coordination:profiles": [
        "GET /api/v1/coordination/structures/{structure_id}/profiles",
        "POST /api/v1/coordination/structures/{structure_id}/profiles",
        "PUT /api/v1/coordination/profiles/{profile_id}",
        "DELETE /api/v1/coordination/profiles/{profile_id}",
    ],
    "directory:correspondences": ["GET /api/v1/structures/{structure_id}/correspondences"],
    "loadusers:job": ["GET /api/v1/structures/{structure_id}/loadusers/jobs/{job_id}"],
    "loadusers:job_confirm": [
        "POST /api/v1/structures/{structure_id}/loadusers/jobs/{job_id}/confirm"
    ],
    "loadusers:job_report": [
        "GET /api/v1/structures/{structure_id}/loadusers/jobs/{job_id}/report.{fmt}"
    ],
    "identity:security": ["GET /api/v1/me/security"],
    "accounts:my_email": ["GET /api/v1/me/email-change", "POST /api/v1/me/email-change"],
    "accounts:my_email_cancel": ["DELETE /api/v1/me/email-change"],
    "console:scheduler": ["GET /api/v1/scheduler"],
    "console:activity": ["GET /api/v1/structures/{structure_id}/activity"],
    "console:activity_csv": ["GET /api/v1/structures/{structure_id}/activity"],
    "console:platform_activity": ["GET /api/v1/activity"],
    "console:platform_activity_csv": ["GET /api/v1/activity"],
    "console:colleague_proposals": [
        "GET /api/v1/structures/{structure_id}/colleague-proposals",
        "GET /api/v1/structures/{structure_id}/colleague-policy",
    ],
    "console:domains": ["GET /api/v1/domains", "POST /api/v1/domains"],
    # Issue #16: onboarding (the service centre's « Demandes de raccordement »).
    "onboarding:queue": ["GET /api/v1/connection-requests"],
    "onboarding:detail": ["GET /api/v1/connection-requests/{request_id}"],
}

_LOGIN = PAGE_ONLY + "the browser's login flow (the API authenticates with a token)"
_LINK = PAGE_ONLY + "opened from a link received by email (a token in the URL)"
_HTMX = PAGE_ONLY + "a page fragment or suggestions for the page's own script"

_HELPER = "a helper or predicate used by operations, views or imports: not an action of its own"
_SERVER = "done by the platform (task, SMTP server, CLI or scheduler), never asked over the API"
_BATCH = "the loaduser import's batch form, run by POST …/loadusers/import's background job"
_HOME = PAGE_ONLY + "a menu or landing page linking to the others"
_TOTP = (
    PAGE_ONLY + "enrolling an authenticator app binds a second factor to the person: a leaked "
    "API token must not let its holder lock the person out of their login with their own app"
)
# Issue #16: onboarding.
_PUBLIC_FORM = (
    PAGE_ONLY + "the public « Demande de raccordement » form, anonymous and rate-limited per IP "
    "and per email: no unauthenticated API route to automate it"
)
_SMS = (
    PAGE_ONLY + "confirming a mobile for SMS codes binds a second factor to the person: a "
    "leaked API token must not route their login codes to its holder's phone"
)
_PUBLIC = (
    PAGE_ONLY + "the public « Créer un compte » pages (issue #16): a visitor not logged in, "
    "proving an address with an emailed code, has no API token"
)
_UPLOAD = "the form of POST /api/v1/structures/{structure_id}/loadusers/import (its job page too)"

OPERATION_EXCLUSIONS: dict[str, str] = {
    "identity.operations.enable_totp": _TOTP,
    "identity.operations.enable_sms": _SMS,
    "identity.operations.start_sms_setup": _SMS,
    "accounts.operations.account_values": _HELPER,
    "accounts.operations.mark_finalised": _HELPER,
    "accounts.operations.validate_for": _HELPER,
    # Called by the import's writing pass (reached from the import route deeper than DEPTH).
    "directory.operations.check_mssante_addresses": _HELPER,
    "coordination.operations.activation_target": _HELPER,
    "coordination.operations.find_profile": _HELPER,
    "identity.operations.account_refusal": _HELPER,
    "identity.operations.cgu_to_accept_again": _HELPER,
    "identity.operations.finalisation_account": _HELPER,
    "identity.operations.login_refusal": _HELPER,
    "identity.operations.person_by_email": _HELPER,
    "identity.operations.shared_mailbox": _HELPER,
    "mail.operations.check_app_password": _HELPER,
    "exports.operations.build": _SERVER,
    "exports.operations.claim": _SERVER,
    "exports.operations.fail": _SERVER,
    "exports.operations.purge_expired": _SERVER,
    "identity.operations.create_first_operator": _SERVER,
    "mail.operations.commit_inbound": _SERVER,
    "mail.operations.purge_delivered": _SERVER,
    "mail.operations.submit_raw": _SERVER,
    "identity.operations.accept_cgu": _LOGIN,
    "identity.operations.complete_login": _LOGIN,
    "identity.operations.login_failed": _LOGIN,
    "identity.operations.record_logout": _LOGIN,
    "identity.operations.send_login_code": _LOGIN,
    "identity.operations.switch_mailbox": _LOGIN,
    "identity.operations.verify_second_factor": _LOGIN,
    "identity.psc.operations.psc_login": _LOGIN,
    "identity.psc.operations.psc_refused": _LOGIN,
    # Issue #17: the CPS card login and the partner certificate as a second factor.
    "identity.certificates.operations.certificate_login": _LOGIN,
    "identity.certificates.operations.cps_login": _LOGIN,
    "identity.certificates.operations.cps_refused": _LOGIN,
    "coordination.operations.activate_external_account": _LINK,
    "identity.operations.finalise_account": _LINK,
    "identity.operations.issue_reset_link": _LINK,
    "identity.operations.request_password_reset": _LINK,
    "identity.operations.reset_password": _LINK,
    "identity.operations.set_password_with_link": _LINK,
    "directory.operations.assign_mssante_addresses": _BATCH,
    "onboarding.operations.submit_connection_request": _PUBLIC_FORM,  # Issue #16: onboarding
    "registration.operations.send_registration_code": _PUBLIC,
    "registration.operations.prove_registration_code": _PUBLIC,
    "registration.operations.submit_registration": _PUBLIC,
    "registration.operations.correct_registration": _PUBLIC,
    "referentials.operations.import_rpps_extraction": "CLI only: the operator loads the "
    "annuaire santé extraction (a file of 1 million lines and more, hundreds of MB) on the "
    "server with `caducee referentials rpps-import`; no upload over HTTP (docs/REFERENTIALS.md)",
    # Issue #18 point 3.
    "directory.operations.import_national_directory": "CLI and scheduler only: the operator "
    "loads the national MSSanté extraction (hundreds of thousands of lines) on the server "
    "with `caducee directory national-import`, or the scheduler downloads it from "
    "CADUCEE_DIRECTORY_NATIONAL_URL; no upload over HTTP (docs/DIRECTORY.md)",
}

WEB_EXCLUSIONS: dict[str, str] = {
    "console:account_new": _HOME,
    "console:home": _HOME,
    "console:structure": _HOME,
    "coordination:activate": _HOME,
    "identity:totp": _TOTP,
    "identity:sms": _SMS,
    "identity:cgu": _LOGIN,
    "identity:code": _LOGIN,
    "identity:code_resend": _LOGIN,
    "identity:login": _LOGIN,
    "identity:psc_start": _LOGIN,
    "identity:psc_callback": _LOGIN,
    "identity:psc_choose": _LOGIN,
    "identity:cps_login": _LOGIN,  # issue #17
    "identity:cps_choose": _LOGIN,
    "identity:logout": _LOGIN,
    "identity:switch": _LOGIN,
    "accounts:email_change_confirm": _LINK,
    "identity:finalise": _LINK,
    "identity:forgot": _LINK,
    "identity:reset": _LINK,
    "identity:set_password": _LINK,
    "identity:setup": _LINK,
    "console:candidates": _HTMX,
    "loadusers:job_progress": _HTMX,
    "mail:autocomplete": _HTMX,
    "mail:manifest": "the web app manifest a browser reads to install the webmail (issue #18)",
    "loadusers:import": _UPLOAD,
    "onboarding:request": _PUBLIC_FORM,  # Issue #16: onboarding
    "onboarding:request_sent": _PUBLIC_FORM,
    "registration:start": _PUBLIC,
    "registration:choice": _PUBLIC,
    "registration:org_question": _PUBLIC,
    "registration:org_prove": _PUBLIC,
    "registration:per_email": _PUBLIC,
    "registration:org_email": _PUBLIC,
    "registration:code": _PUBLIC,
    "registration:code_resend": _PUBLIC,
    "registration:form": _PUBLIC,
    "registration:done": _PUBLIC,
    "registration:correct": _PUBLIC,
}


# --- What the API reaches ------------------------------------------------------------------


def _codes(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _codes(const)


def _reached(start: Callable[..., Any], depth: int = DEPTH) -> set[FunctionType]:
    """The caducee functions `start` may call, `depth` calls deep (by the names it uses)."""
    best: dict[FunctionType, int] = {}  # function → most calls left when reached

    def visit(func: Any, left: int) -> None:
        func = inspect.unwrap(func)
        if not isinstance(func, FunctionType) or best.get(func, -1) >= left:
            return  # the same function reached earlier with as many calls left, or more
        best[func] = left
        if left == 0:
            return
        names = {name for code in _codes(func.__code__) for name in code.co_names}
        scopes: list[Any] = [func.__globals__.get(n) for n in names]
        scopes += [sys.modules[n] for n in names if n in sys.modules]  # local imports
        for obj in scopes:
            targets = [getattr(obj, n, None) for n in names] if inspect.ismodule(obj) else [obj]
            for target in targets:
                if isinstance(target, FunctionType) and target.__module__.startswith("caducee."):
                    visit(target, left - 1)

    visit(start, depth)
    return set(best)


def _modules(package: ModuleType) -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" in info.name or ".tests" in info.name:
            continue
        yield importlib.import_module(info.name)


def _routers() -> list[Router]:
    found: list[Router] = []
    for module in _modules(caducee):
        router = getattr(module, "router", None)
        if isinstance(router, Router) and router not in found:
            found.append(router)
    return found


def _api_routes() -> dict[str, Callable[..., Any]]:
    """ "METHOD /api/v1/path" → the route's function."""
    prefix = "/api/v1"
    routes: dict[str, Callable[..., Any]] = {}
    for router in _routers():
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    routes[f"{method} {prefix}/{path.lstrip('/')}"] = operation.view_func
    return routes


def _operations() -> dict[str, FunctionType]:
    """ "app.operations.name" → every public function of an app's operations module or
    package: its `__all__` (which re-exports the sibling modules it was split into, e.g.
    accounts.connections or mail.folders), else the functions it defines."""
    found: dict[str, FunctionType] = {}
    for module in _modules(caducee):
        name = module.__name__
        if not name.endswith(".operations"):
            continue
        app = name.removeprefix("caducee.")
        public = getattr(module, "__all__", None)
        for attr, obj in vars(module).items():
            if not isinstance(obj, FunctionType) or attr[0] == "_":
                continue
            if attr in (public if public is not None else ()) or obj.__module__ == name:
                found[f"{app}.{attr}"] = obj
    return found


def _web_views() -> dict[str, Callable[..., Any]]:
    def walk(resolver: URLResolver, namespace: str) -> Iterator[tuple[str, Any]]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name, pattern.callback

    return {name: view for name, view in walk(get_resolver(), "") if not name.startswith("api:")}


@pytest.fixture(scope="module")
def coverage() -> tuple[set[str], set[str], dict[str, str]]:
    """(operations not reached by the API, web URL names not covered, the API routes)."""
    # The operations first: listing them imports every module of caducee, which the walk
    # needs to follow the local imports of routes and views (else the result depends on
    # what the tests run before this one had imported).
    operations = _operations()
    routes = _api_routes()
    reached_by_api: set[FunctionType] = set()
    for view in routes.values():
        reached_by_api |= _reached(view)
    by_function = {func: name for name, func in operations.items()}
    uncovered_operations = {name for name, f in operations.items() if f not in reached_by_api}
    uncovered_pages: set[str] = set()
    for name, view in _web_views().items():
        if name in WEB_ROUTES:
            continue
        used = {by_function[f] for f in _reached(view) if f in by_function}
        if not used or used & uncovered_operations:
            uncovered_pages.add(name)
    return uncovered_operations, uncovered_pages, {label: "" for label in routes}


def test_every_operation_has_an_api_route(
    coverage: tuple[set[str], set[str], dict[str, str]],
) -> None:
    uncovered, _pages, _routes = coverage
    new = sorted(uncovered - set(OPERATION_EXCLUSIONS))
    assert not new, f"Operations with no API route (add one, or a reasoned exclusion): {new}"
    stale = sorted(set(OPERATION_EXCLUSIONS) - uncovered)
    assert not stale, f"Covered now or gone: remove from OPERATION_EXCLUSIONS: {stale}"


def test_every_page_has_an_api_route(coverage: tuple[set[str], set[str], dict[str, str]]) -> None:
    _operations_left, uncovered, _routes = coverage
    new = sorted(uncovered - set(WEB_EXCLUSIONS))
    assert not new, f"Pages with no API route (add one, or a reasoned exclusion): {new}"
    stale = sorted(set(WEB_EXCLUSIONS) - uncovered)
    assert not stale, f"Covered now or gone: remove from WEB_EXCLUSIONS: {stale}"


def test_the_mapped_routes_exist(coverage: tuple[set[str], set[str], dict[str, str]]) -> None:
    _ops, _pages, routes = coverage
    named = {route for targets in WEB_ROUTES.values() for route in targets}
    assert named <= set(routes), sorted(named - set(routes))
    assert set(WEB_ROUTES) <= set(_web_views()), sorted(set(WEB_ROUTES) - set(_web_views()))
    assert set(api.get_openapi_schema()["paths"])  # the schema builds


def test_every_exclusion_gives_a_reason() -> None:
    for name, reason in {**OPERATION_EXCLUSIONS, **WEB_EXCLUSIONS}.items():
        assert len(reason) > 15, name
