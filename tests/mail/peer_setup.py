"""Prepare a separate Caducée instance (its own CADUCEE_HOME and SQLite database).

Run as `python -m tests.mail.peer_setup DOMAIN PARTICLE`; prints an application password
for the created person's mailbox.
"""

from __future__ import annotations

import sys


def main() -> None:
    from caducee.cli.main import setup_django
    from caducee.cli.schema import apply_migrations

    setup_django(check_schema=False)
    apply_migrations()  # a fresh instance: what `caducee migrate` does
    from caducee.core.context import cli_context
    from caducee.mail.operations import create_app_password
    from tests import factories

    domain, particle = sys.argv[1], sys.argv[2]
    structure = factories.make_structure(f"Structure {domain}", domain=domain)
    account = factories.make_account(
        structure, "PER", email=f"{particle}@perso.example.org", mssante_particle=particle
    )
    assert account.user is not None
    print(create_app_password(cli_context(), account.user, "test"))


if __name__ == "__main__":
    main()
