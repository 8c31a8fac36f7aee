"""Former home of the console decorators, kept for other apps' imports: see decorators.py."""

from caducee.console.decorators import console_view, person, require_operator

__all__ = ["console_view", "person", "require_operator"]
