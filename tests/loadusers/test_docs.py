"""docs/LOADUSERS.md shows the current column table."""

from pathlib import Path

from caducee.loadusers.columns_doc import render_columns


def test_docs_show_the_current_column_table() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "LOADUSERS.md").read_text(encoding="utf-8")
    assert render_columns() in doc, (
        "regenerate the table: .venv/bin/python -m caducee.loadusers.columns_doc"
    )
