"""What the two passes of an import share: constants, the result, and the validation state.

A new account's values travel as one tuple in `STORED_KEYS` order (compact for 100,000-line
files); code reads them by name (`NewAccount.value("email")`, `COL`), never by position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from caducee.accounts.fields import STORED
from caducee.accounts.models import AccountType
from caducee.core.context import Context
from caducee.core.errors import Problem
from caducee.loadusers.email_index import EmailIndex
from caducee.loadusers.problem_log import ProblemLog
from caducee.loadusers.reading import Header
from caducee.loadusers.report import ReportRow, group_problems
from caducee.loadusers.spool import Spool
from caducee.structures.models import Structure

CHUNK = 1000
STORED_KEYS: tuple[str, ...] = tuple(spec.key for spec in STORED)
COL: dict[str, int] = {key: index for index, key in enumerate(STORED_KEYS)}  # key -> position
NOMINATIVE = frozenset(AccountType.nominative())
SHARED = frozenset(AccountType.shared())

Progress = Callable[[str, int, int], None]  # phase ("validation" | "writing"), done, total


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: ProblemLog = field(default_factory=ProblemLog)  # in line order (problem_log.py)
    import_id: str = ""
    file_name: str = ""
    dry_run: bool = False
    # « MSSanté adresse » generated for new accounts (address_generation.py): how many,
    # and the first few ({"line", "email", "address"}), for the preview and the report.
    addresses_generated: int = 0
    addresses_sample: list[dict[str, Any]] = field(default_factory=list)
    # Processes that ran the field rules (validation_pool.py); 0: the importing process.
    validation_workers: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def as_json(self) -> dict[str, Any]:
        """The JSON answer of the CLI (`--json`) and the API."""
        problems = [p.as_dict() for p in self.problems]
        return {
            **self.counts,
            "addresses_generated": self.addresses_generated,
            "addresses_sample": self.addresses_sample,
            "groups": group_problems(problems),
            "problems": problems,
        }


@dataclass(slots=True)
class NewAccount:
    """A valid line naming a new address: the account to create."""

    line: int
    structure_id: int
    values: tuple[Any, ...]  # STORED_KEYS order, database values: read them with value()
    links: list[str] | None
    user_id: int | None  # an existing person with this email (nominative only)

    def value(self, key: str) -> Any:
        return self.values[COL[key]]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its constructor's arguments (spool.py: 40 % faster both ways)."""
        return (NewAccount, (self.line, self.structure_id, self.values, self.links, self.user_id))

    @property
    def email(self) -> str:
        return str(self.values[COL["email"]])

    @property
    def kind(self) -> str:
        return str(self.values[COL["type"]])


@dataclass(slots=True)
class AccountUpdate:
    """A valid line naming an existing account that it changes."""

    line: int
    pk: int
    structure_id: int
    email: str
    changes: dict[str, list[Any]]
    values: dict[str, Any]  # database values of the changed keys
    links: list[str] | None  # wanted connection accounts, if the column was given
    current_links: frozenset[str]


@dataclass
class ImportState:
    """What the validation pass learns, kept compact for 100,000-line files: the valid
    lines in spools (spool.py), per address only its first line and, for a valid line, its
    type (email_index.py); both on disk beyond a fixed number."""

    ctx: Context
    structure: Structure
    header: Header
    scope: dict[int, Structure]
    by_name: dict[str, Structure]
    result: ImportResult
    emails: EmailIndex = field(default_factory=EmailIndex)  # first lines, valid types
    rejected: int = 0  # lines rejected (each once, whatever its number of problems)
    creates: Spool[NewAccount] = field(default_factory=Spool)
    updates: Spool[AccountUpdate] = field(default_factory=Spool)
    problems: ProblemLog = field(default_factory=ProblemLog)  # on disk beyond a bound
    folded: dict[str, str] = field(default_factory=dict)  # structure column cache

    def close(self) -> None:
        """Remove the spools' files (the end of the import)."""
        self.creates.close()
        self.updates.close()
        self.emails.close()

    def report(self, line: int, email: str, problem: Problem, value: str = "") -> None:
        """Record a problem of a line; `value`: the offending cell (the report groups by it)."""
        self.problems.append(
            ReportRow(
                line,
                self.header.header_of(problem.field),
                email,
                problem.severity,
                problem.code,
                problem.message,
                value,
            )
        )
