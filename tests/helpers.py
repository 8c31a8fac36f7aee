"""What many tests need, written once: the CLI runner, API headers, contexts and clients.

- `run_cli(capsys, *args)`: run `caducee …` in-process; (exit code, stdout, stderr).
- `api_headers(user)` / `bearer_client(user)`: a fresh API token for that person.
- `ctx_for(user, mailbox=None)`: the web context of a person (acting as a mailbox).
- `client_for(user)`: a Django test client logged in as that person.
- `page_queries(client, url)`: the SQL queries of one GET of a page, after a warm-up GET.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from caducee.api.tokens import issue_token
from caducee.core.context import Context, cli_context
from caducee.people.models import User

if TYPE_CHECKING:
    from caducee.accounts.models import Account

BACKEND = "django.contrib.auth.backends.ModelBackend"
TEST_IP = "127.0.0.1"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from caducee.cli.main import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def api_token(user: User, name: str = "test") -> str:
    return issue_token(cli_context(), user, name)


def api_headers(user: User) -> dict[str, Any]:
    """Extra headers for Django's test client: `client.get(url, **api_headers(user))`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}


def bearer_client(user: User) -> Client:
    """A client that sends a fresh token of `user` with every request."""
    return Client(headers={"Authorization": f"Bearer {api_token(user)}"})


def ctx_for(user: User | None, mailbox: Account | None = None, channel: str = "web") -> Context:
    return Context(user=user, acting_as=mailbox, ip=TEST_IP, channel=channel)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def page_queries(client: Client, url: str) -> int:
    """SQL queries of one GET of `url` (200 expected), after one warm-up GET: the first
    request of a new session saves it, which no later request does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)
