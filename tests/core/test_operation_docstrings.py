"""Each operation says, at the top of its docstring, which audit action it writes.

The convention (CONTRIBUTING.md): the first paragraph of a public operation's docstring
says who may call it and names, in backquotes, the audit action code it records — so a
reader of `accounts.operations.create_account` learns « Admin of `structure`; audits
`account.create` » without reading the body. This test reads the codes an operation
passes itself (string constants that are known audit actions) and requires each in its
docstring's first paragraph.
"""

from __future__ import annotations

from caducee.console.audit_labels import ACTION_LABELS
from tests.api.test_api_coverage import _codes, _operations


def test_every_operation_names_the_audit_actions_it_writes() -> None:
    missing: dict[str, list[str]] = {}
    for name, func in sorted(_operations().items()):
        codes = {
            const
            for code in _codes(func.__code__)
            for const in code.co_consts
            if isinstance(const, str) and "." in const and const in ACTION_LABELS
        }
        summary = (func.__doc__ or "").strip().split("\n\n")[0]
        absent = sorted(code for code in codes if f"`{code}`" not in summary)
        if absent:
            missing[name] = absent
    assert not missing, missing


def test_the_operations_of_every_app_are_found() -> None:
    apps = {name.split(".")[0] for name in _operations()}
    assert {"accounts", "structures", "identity", "mail", "directory", "coordination"} <= apps
