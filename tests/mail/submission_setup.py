"""Prepare a separate instance for the mail-client tests (its own CADUCEE_HOME and database).

Run as `python -m tests.mail.submission_setup MODE DOMAIN` with the instance's environment:

- `clients`: Martine (PER, with an application password), Paul (PER), the ORG mailbox
  « secretariat » whose connection account is Martine, and Retired (PER, with an
  application password, then deactivated). Prints JSON: logins and passwords.
- `journey`: Paul (PER, finalised, web password `PASSWORD`), and Martine pre-registered
  with `notify`: her finalisation email goes to the instance's email relay.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from caducee.cli.main import setup_django
    from caducee.cli.schema import apply_migrations

    setup_django(check_schema=False)
    apply_migrations()  # a fresh instance: what `caducee migrate` does
    from caducee.accounts.models import Account
    from caducee.accounts.operations import create_account, deactivate_account, mark_finalised
    from caducee.core.context import cli_context
    from caducee.mail.operations import create_app_password
    from tests import factories
    from tests.conftest import PASSWORD

    mode, domain = sys.argv[1], sys.argv[2]
    ctx = cli_context()
    structure = factories.make_structure(f"Structure {domain}", domain=domain)

    def person(particle: str) -> Account:
        account = factories.make_account(
            structure, "PER", email=f"{particle}@perso.example.org", mssante_particle=particle
        )
        assert account.user is not None
        account.user.password = factories.password_hash(PASSWORD)
        account.user.save()
        mark_finalised(account)
        return account

    paul = person("paul.martin")
    if mode == "journey":
        data = factories.account_data(
            "PER", "martine.dubois@perso.example.org", mssante_particle="martine.dubois"
        )
        create_account(ctx, structure, data, notify=True)
        print(json.dumps({"paul": paul.email}))
        return
    martine = person("martine.dubois")
    factories.make_account(
        structure,
        "ORG",
        email="secretariat@perso.example.org",
        mssante_particle="secretariat",
        connection_accounts=martine.email,
    )
    retired = person("retired")
    assert martine.user is not None and retired.user is not None
    result = {
        "martine": martine.email,
        "martine_secret": create_app_password(ctx, martine.user, "msmtp"),
        "paul": paul.email,
        "retired": retired.email,
        "retired_secret": create_app_password(ctx, retired.user, "msmtp"),
    }
    deactivate_account(ctx, retired)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
