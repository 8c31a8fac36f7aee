"""Text folding used to compare user input with list labels."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

_SEPARATORS = re.compile(r"[\s\-_'’.,()/]+")


def _latin_table() -> dict[int, str]:
    """Accented Latin letters (U+00C0-U+024F) whose decomposition without its accents is
    ASCII: 'é' -> 'e'. The same result as decomposing a whole string made of them."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if base.isascii() and base != chr(code):
            table[code] = base
    return table


LATIN_ASCII = _latin_table()


def fold(value: str) -> str:
    """Lower case, no accents, separators collapsed: 'Bouches-du-Rhône' -> 'bouches du rhone'."""
    if not value.isascii():
        # Fast path (a million names at a national directory import): accented Latin
        # letters mapped at once; anything else goes through the full decomposition.
        quick = value.translate(LATIN_ASCII)
        if quick.isascii():
            value = quick
    if value.isascii():  # nothing to decompose: ASCII has no accents nor compatibility forms
        stripped = value
    else:
        decomposed = unicodedata.normalize("NFKD", value)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", stripped.casefold()).strip()


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def first_free(base: str, taken: Container[str]) -> str:
    """`base`, else `base2`, `base3`…: the first of these not in `taken`."""
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"
