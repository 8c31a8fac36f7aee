"""Matching what people write against the labels of a list (professions, specialties…).

HR files do not copy the list's labels: they write « Secrétaires médicales » for
« Secrétaire médical(e) », « infirmière » for « Infirmier », « sage femme » for
« Sage-Femme ». Every label and every input is reduced to one *key*:

1. inclusive-writing gender marks are dropped: « médical(e) », « infirmier(e)s »,
   « infirmier·ère », « infirmier.e » keep their masculine stem;
2. case, accents, hyphens, apostrophes, dots and spaces are folded (`text.fold`);
3. each word loses its plural (« -s », « -aux » → « -al ») then its feminine ending
   (« -ière » → « -ier », « -ienne » → « -ien », « -trice » → « -teur », « -euse » → « -eur »,
   « -elle » → « -el », « -ale » → « -al », « -ante » → « -ant », « -ée » → « -é »,
   « -ive » → « -if »);
4. the words are joined without spaces (« radiothérapie » = « Radio-thérapie »).

The keys of a list are computed once (`LabelIndex`), so matching a cell is a few string
operations and one dict read. A key shared by entries with different codes is *ambiguous*:
it is kept out of the index and reported (`LabelIndex.ambiguous`), never resolved silently.
Suggestions for a value that matches nothing (difflib over the keys) are computed only on
that failure path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from caducee.referentials.text import fold

T = TypeVar("T", bound=Hashable)

# « médical(e) », « infirmier(e)s », « infirmier(ère) », « infirmier·ère », « infirmier.e »,
# « infirmier/ère »: a gender (or number) mark after a word, dropped with a following "s".
_GENDER_SUFFIXES = (
    "e|es|ère|ere|ères|eres|ne|nne|nes|nnes|ienne|iennes|euse|euses|rice|rices|trice"
    "|trices|le|lle|les|lles|ale|ales|te|tes|ée|ee|ées|ees|ve|ves|s|x"
)
_GENDER_MARK = re.compile(
    rf"(?<=\w)(?:\((?:{_GENDER_SUFFIXES})\)s?|[·•./](?:{_GENDER_SUFFIXES})(?:[·•.]s)?(?![\w]))",
    re.IGNORECASE,
)

# Feminine endings of French job titles and adjectives → masculine, on folded words.
_FEMININE = (
    ("iere", "ier"),
    ("ienne", "ien"),
    ("trice", "teur"),
    ("euse", "eur"),
    ("elle", "el"),
    ("ale", "al"),
    ("ante", "ant"),
    ("ee", "e"),
    ("ive", "if"),
)
_MIN_STEM = 3  # a word keeps at least this many letters before its ending is rewritten
_CUTOFF = 0.6  # difflib ratio from which a label is suggested
_CONTAINED = 0.8  # the score of a label that contains the whole input
_MIN_PART = 4  # shorter inputs are not looked for inside labels


def neutral_word(word: str) -> str:
    """A folded word without plural nor feminine ending: 'infirmieres' -> 'infirmier'."""
    if len(word) <= _MIN_STEM:
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux"):
        word = word[:-3] + "al"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for ending, masculine in _FEMININE:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)] + masculine
    return word


_MARK_CHARS = "(·•./"  # a value without any of these has no gender mark: no regex


def neutral_words(value: str, folded: str | None = None) -> list[str]:
    """The words of `value` with gender marks, case, accents, plural and feminine removed.

    `folded` is `fold(value)` when the caller has it already (saves folding twice).
    """
    if any(char in value for char in _MARK_CHARS):
        folded = fold(_GENDER_MARK.sub("", value))
    elif folded is None:
        folded = fold(value)
    return [neutral_word(word) for word in folded.split()]


def label_key(value: str, folded: str | None = None) -> str:
    """The matching key: 'Secrétaires médicales' and 'Secrétaire médical(e)' give the same."""
    return "".join(neutral_words(value, folded))


@dataclass(frozen=True)
class Ambiguity(Generic[T]):
    """A key two or more distinct values share: input reducing to it names none of them."""

    key: str
    values: tuple[T, ...]


class LabelIndex(Generic[T]):
    """Labels → value, by key; built once per list.

    `add(label, value)` for every label of every entry (a list may give several labels to
    one entry); `get(text)` is then one key computation and one dict read.
    """

    def __init__(self, labels: Iterable[tuple[str, T]]) -> None:
        found: dict[str, list[T]] = {}
        spaced: dict[str, str] = {}
        for label, value in labels:
            words = neutral_words(label)
            key = "".join(words)
            if not key:
                continue
            values = found.setdefault(key, [])
            if value not in values:
                values.append(value)
            spaced.setdefault(key, " ".join(words))
        self._index: dict[str, T] = {k: v[0] for k, v in found.items() if len(v) == 1}
        self.ambiguous: dict[str, Ambiguity[T]] = {
            k: Ambiguity(k, tuple(v)) for k, v in found.items() if len(v) > 1
        }
        # For suggestions: the spaced form reads better to difflib than the joined key.
        self._spaced = spaced

    def get(self, text: str, folded: str | None = None) -> T | Ambiguity[T] | None:
        """The value `text` names, an `Ambiguity`, or None; `folded` as in `neutral_words`."""
        key = label_key(text, folded)
        if not key:
            return None
        found = self._index.get(key)
        if found is not None:
            return found
        return self.ambiguous.get(key)

    def nearest(self, text: str, limit: int = 3) -> list[T]:
        """Up to `limit` values whose labels are closest to `text` (failure path only).

        Closeness is difflib's ratio between the spaced keys; a label that contains the
        whole input (« kiné » in « Masseur-Kinésithérapeute »), or whose words are all in the
        input (« Médecin » in « Médecin généraliste »), counts as close.
        """
        words = neutral_words(text)
        spaced = " ".join(words)
        if not spaced:
            return []
        joined = "".join(words)
        given = set(words)
        matcher = difflib.SequenceMatcher(b=spaced, autojunk=False)
        scored: list[tuple[float, str]] = []
        for key, label in self._spaced.items():
            matcher.set_seq1(label)
            score = matcher.ratio()
            if (len(joined) >= _MIN_PART and joined in key) or given.issuperset(label.split()):
                score = max(score, _CONTAINED)
            if score >= _CUTOFF:
                scored.append((score, key))
        scored.sort(key=lambda item: -item[0])  # stable: list order among equals
        return _values_of(self._lookup_all([key for _, key in scored]), limit)

    def _lookup_all(self, keys: Sequence[str]) -> list[T]:
        values: list[T] = []
        for key in keys:
            if key in self._index:
                values.append(self._index[key])
            elif key in self.ambiguous:
                values.extend(self.ambiguous[key].values)
        return values


def _values_of(values: Iterable[T], limit: int) -> list[T]:
    out: list[T] = []
    for value in values:
        if value not in out:
            out.append(value)
        if len(out) == limit:
            break
    return out
