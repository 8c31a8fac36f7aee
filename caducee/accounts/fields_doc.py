"""The field table rendered as Markdown, for docs/ACCOUNTS.md (kept in sync by a test)."""

from __future__ import annotations

from caducee.accounts.fields import FIELDS, TYPES

BEGIN = "<!-- field-table:begin -->"
END = "<!-- field-table:end -->"


def markdown_table() -> str:
    head = "| Column | " + " | ".join(TYPES) + " | Directory | Notes |"
    rule = "|---|" + "---|" * len(TYPES) + "---|---|"
    rows = [
        f"| {spec.header} | "
        + " | ".join(spec.rule(kind).value for kind in TYPES)
        + f" | {'yes' if spec.in_directory else ''} | {spec.help} |"
        for spec in FIELDS
    ]
    return "\n".join([head, rule, *rows])


def render_block() -> str:
    return f"{BEGIN}\n{markdown_table()}\n{END}"
