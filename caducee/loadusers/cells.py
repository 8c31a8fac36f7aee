"""Formula-safe cells: what a spreadsheet would run as a formula is guarded, and unguarded.

A CSV cell starting with = + - @ (or a tab / carriage return) would open as a formula in
Excel or LibreOffice (CSV injection). The export prefixes such cells with an apostrophe,
which spreadsheets treat as "this is text" and hide; the import removes that apostrophe
again, so an exported file re-imports to the same values.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def guard(text: str) -> str:
    """The cell text as written to a CSV file."""
    if text.lstrip(GUARD).startswith(FORMULA_TRIGGERS):
        return GUARD + text  # also for "'=x", so that it reads back with its apostrophe
    return text


def unguard(value: object) -> object:
    """A cell value as read from a file: the export's apostrophe guard is removed."""
    if (
        type(value) is str
        and value[:1] == GUARD
        and value.lstrip(GUARD).startswith(FORMULA_TRIGGERS)
    ):
        return value[1:]
    return value
