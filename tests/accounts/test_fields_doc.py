from pathlib import Path

from caducee.accounts.fields_doc import render_block


def test_docs_show_the_current_field_table() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "ACCOUNTS.md").read_text(encoding="utf-8")
    assert render_block() in doc, (
        "regenerate the table: python -c 'from caducee.accounts."
        "fields_doc import render_block; print(render_block())'"
    )
