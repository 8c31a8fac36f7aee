"""Entry point of the `caducee` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

Handler = Callable[[argparse.Namespace], int]


class FrenchParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """argparse's own help option and section title, in French."""
        add_help = kwargs.get("add_help", True)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._optionals.title = "options"
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", help="afficher cette aide, puis s'arrêter"
            )

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"caducee : erreur : {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    # Each app's commands live in caducee/cli/<app>.py with a `register(commands)` function.
    from caducee.cli import (
        accounts,
        activity,
        audit,
        certificates,
        colleagues,
        coordination,
        demo,
        directory,
        domains,
        identity,
        imap,
        lifecycle,
        loadusers,
        mail,
        migrate,
        onboarding,  # Issue #16: onboarding
        referentials,
        registration,
        scheduler,
        serve,
        structures,
        tokens,
        web,
        worker,
    )

    parser = FrenchParser(
        prog="caducee",
        description="Caducée : messagerie sécurisée de santé et coordination des soins.",
    )
    commands = parser.add_subparsers(
        title="commandes", metavar="COMMANDE", parser_class=FrenchParser
    )
    for module in (
        migrate,
        serve,
        web,
        demo,
        structures,
        accounts,
        audit,
        tokens,
        loadusers,
        identity,
        directory,
        mail,
        imap,
        coordination,
        scheduler,
        worker,
        activity,
        colleagues,
        lifecycle,
        domains,
        referentials,
        onboarding,  # Issue #16: onboarding
        certificates,  # issue #17
        registration,  # Issue #16: `caducee registration …`
    ):
        module.register(commands)
    return parser


def setup_django(*, check_schema: bool = True) -> None:
    """Set Django up; unless told otherwise, refuse an outdated schema (only
    `caducee migrate` migrates, see caducee/cli/schema.py)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
    import django

    django.setup()
    if check_schema:
        from caducee.cli.schema import require_current_schema

        require_current_schema()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 0
    from caducee.cli.schema import SchemaOutdated
    from caducee.config import ConfigError
    from caducee.core.errors import Invalid, OperationError

    try:
        setup_django(check_schema=not getattr(args, "migrates", False))
        return handler(args)
    except Invalid as exc:
        # A problem the summary already quotes is not printed twice.
        details = "; ".join(p.message for p in exc.errors() if p.message not in exc.message)
        sys.stderr.write(f"Erreur : {exc.message}{' ' + details if details else ''}\n")
        return 1
    except (OperationError, ConfigError, SchemaOutdated) as exc:
        sys.stderr.write(f"Erreur : {exc}\n")
        return 1
    except BrokenPipeError:  # output piped into `head`, for instance
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("Interrompu.\n")
        return 130
    except Exception as exc:  # never a traceback to the person at the terminal
        logging.getLogger("caducee").debug("unexpected error", exc_info=True)
        sys.stderr.write(
            f"Erreur inattendue ({type(exc).__name__}) : {exc}. "
            "Relancez avec CADUCEE_LOG_LEVEL=DEBUG pour le détail.\n"
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
