"""A listening address already taken, said in French with what to change."""

from __future__ import annotations

import errno

from caducee.config import ConfigError


def bind_error(exc: OSError, host: str, port: int, setting: str) -> Exception:
    """The error to show for a failed bind: clear for a taken address, else as it came."""
    if exc.errno != errno.EADDRINUSE:
        return exc
    return ConfigError(
        f"L'adresse {host}:{port} est déjà utilisée par un autre programme (ou une autre "
        f"instance de Caducée) : arrêtez-le, ou choisissez une autre adresse ({setting})."
    )
