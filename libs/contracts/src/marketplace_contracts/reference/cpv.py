"""Common Procurement Vocabulary (CPV 2008): code parsing, hierarchy and the whole vocabulary.

A CPV code is eight digits plus a check digit, written "80500000-9". The hierarchy is encoded
in the digits: the first two give the division (80000000), the third the group (80500000), the
fourth the class (80510000), the fifth the category (80511000); anything deeper is a plain
"code". Trailing zeros are not significant, so "80500000" stands for the prefix "805" and
"80511100" (a code below the category 80511000) for "805111": a subscription to 80511100
means everything under it, 80511110 too.

The shipped vocabulary (``cpv_codes.csv``) is every one of the 9 454 codes of CPV 2008 with
its parent and its English and Swedish label, generated from the EU's eForms SDK code list by
``make reference`` (``tools/reference_data.py``; ``reference_source.json`` names the version).

Check digits: the SDK's list carries none, and no published algorithm reproduces every official
check digit (a weighted mod-10 sum fits most codes but several hundred official codes deviate
from it). So a check digit is verified for the codes whose official digit is known
(``cpv_check_digits.csv``, 412 codes), and for any other code a single digit 0-9 is accepted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Final, Literal

__all__ = [
    "LEVELS",
    "LEVEL_DIGITS",
    "CpvCode",
    "CpvLevel",
    "InvalidCpvCode",
    "UnknownCpvCode",
    "all_codes",
    "children_of",
    "is_known",
    "known_cpv",
    "label",
    "level_depth",
    "level_of",
    "lookup",
    "matches_prefix",
    "normalize_cpv",
    "normalize_prefix",
    "parent_of",
    "shared_depth",
    "shared_level_name",
    "significant_prefix",
]

CpvLevel = Literal["division", "group", "class", "category", "code"]
Lang = Literal["sv", "en"]

# Index i is the level whose significant prefix has i + 2 digits; "code" covers 6-8 digits.
LEVELS: Final[tuple[CpvLevel, ...]] = ("division", "group", "class", "category", "code")
# The digits two codes compare at each level of LEVELS: a "code" compares all eight.
LEVEL_DIGITS: Final[tuple[int, ...]] = (2, 3, 4, 5, 8)

_DATA_PACKAGE: Final = "marketplace_contracts.reference"
_DATA_FILE: Final = "cpv_codes.csv"
_CODE_RE: Final = re.compile(r"(\d{8})(?:-(\d))?")
_PREFIX_RE: Final = re.compile(r"\d{1,8}")


class InvalidCpvCode(ValueError):
    """A string that is not a well-formed CPV code (or carries a wrong check digit)."""


class UnknownCpvCode(LookupError):
    """A well-formed CPV code that is not one of the 9 454 codes of CPV 2008."""


@dataclass(frozen=True, slots=True)
class CpvCode:
    """One entry of the vocabulary. ``code`` is the bare eight digits."""

    code: str
    check_digit: str | None  # None where the official digit is not known (module docstring)
    label_sv: str
    label_en: str
    level: CpvLevel
    parent: str | None

    @property
    def full(self) -> str:
        """The code with its check digit where known ("80500000-9"), else the bare code."""
        return f"{self.code}-{self.check_digit}" if self.check_digit else self.code

    def label(self, lang: Lang = "sv") -> str:
        return _pick_label(self, lang)


def _pick_label(entry: CpvCode, lang: str) -> str:
    if lang == "sv":
        return entry.label_sv
    if lang == "en":
        return entry.label_en
    raise ValueError(f"unsupported label language {lang!r}: expected 'sv' or 'en'")


def _split(code: str) -> tuple[str, str | None]:
    """Parse "80500000" / "80500000-9" (surrounding whitespace allowed) into digits and check."""
    if not isinstance(code, str):
        raise InvalidCpvCode(f"CPV code must be a string, got {type(code).__name__}")
    match = _CODE_RE.fullmatch(code.strip())
    if match is None:
        raise InvalidCpvCode(
            f"malformed CPV code {code!r}: expected eight digits, optionally followed by "
            "'-' and one check digit, e.g. '80500000' or '80500000-9'"
        )
    return match.group(1), match.group(2)


def normalize_cpv(code: str) -> str:
    """Return the bare eight-digit code for "80500000" or "80500000-9".

    Raises InvalidCpvCode for malformed input, for the all-zero code, and for a check digit that
    contradicts the official one of a code in the shipped vocabulary (see module docstring).
    """
    digits, check = _split(code)
    if digits[:2] == "00":
        raise InvalidCpvCode(f"malformed CPV code {code!r}: there is no division '00'")
    if check is not None:
        known = _vocabulary().get(digits)
        if known is not None and known.check_digit not in (None, check):
            raise InvalidCpvCode(
                f"wrong check digit in CPV code {code!r}: the official code is {known.full}"
            )
    return digits


def significant_prefix(code: str) -> str:
    """The code without its non-significant trailing zeros, never shorter than the division.

    "80500000" -> "805", "45000000" -> "45", "09310000" -> "0931", "80511100" -> "805111".
    """
    return _significant(normalize_cpv(code))


def _significant(digits: str) -> str:
    stripped = digits.rstrip("0")
    return stripped if len(stripped) >= 2 else digits[:2]


def _depth(digits: str) -> int:
    return min(len(_significant(digits)), 6) - 1


def level_of(code: str) -> CpvLevel:
    """Level implied by the digits: division, group, class, category, or code (deeper)."""
    return LEVELS[level_depth(code) - 1]


@lru_cache(maxsize=65_536)
def level_depth(code: str) -> int:
    """The level as a number, on the scale of `shared_depth`: 1 division, 2 group, 3 class,
    4 category, 5 code ("80533100"). Cached: matching asks it for every code pair."""
    return _depth(normalize_cpv(code))


def _ancestor_candidates(prefix: str) -> list[str]:
    """Eight-digit codes of every shallower level, nearest first ("8053" -> 80500000, 80000000)."""
    return [prefix[:n].ljust(8, "0") for n in range(len(prefix) - 1, 1, -1)]


def _nearest_known_ancestor(prefix: str, known: dict[str, CpvCode] | set[str]) -> str | None:
    for candidate in _ancestor_candidates(prefix):
        if candidate in known:
            return candidate
    return None


def parent_of(code: str) -> str | None:
    """Nearest ancestor that exists in the vocabulary, or None for divisions and orphans.

    Walking up level by level matters because the official list skips levels in places:
    60112000 (public road transport) hangs directly under the group 60100000.
    """
    vocabulary = _vocabulary()
    known = vocabulary.get(normalize_cpv(code))
    if known is not None:
        return known.parent
    return _nearest_known_ancestor(significant_prefix(code), vocabulary)


def children_of(code: str | None) -> tuple[CpvCode, ...]:
    """The codes whose parent is ``code`` (the 45 divisions for None), ordered by code."""
    return _children().get(None if code is None else normalize_cpv(code), ())


@cache
def _children() -> dict[str | None, tuple[CpvCode, ...]]:
    grouped: dict[str | None, list[CpvCode]] = {}
    for entry in _vocabulary().values():
        grouped.setdefault(entry.parent, []).append(entry)
    return {parent: tuple(entries) for parent, entries in grouped.items()}


def shared_depth(a: str, b: str) -> int:
    """How deep two codes agree: 0 none, 1 division, 2 group, 3 class, 4 category, 5 same code.

    A level only counts when both codes reach it: 80500000 and 80510000 share the group (2) but
    not a class, since 80500000 is itself only a group.
    """
    code_a, code_b = normalize_cpv(a), normalize_cpv(b)
    if code_a == code_b:
        return 5
    prefix_a, prefix_b = _significant(code_a), _significant(code_b)
    depth = 0
    for width in LEVEL_DIGITS[:-1]:  # division .. category
        if len(prefix_a) < width or len(prefix_b) < width:
            break
        if prefix_a[:width] != prefix_b[:width]:
            break
        depth += 1
    return depth


def shared_level_name(a: str, b: str) -> CpvLevel | None:
    """The deepest level two codes share, by name, or None if not even the division."""
    depth = shared_depth(a, b)
    return LEVELS[depth - 1] if depth else None


def matches_prefix(code: str, prefix: str) -> bool:
    """Whether ``code`` falls under ``prefix``.

    ``prefix`` is either raw digits ("805", "8053") or a full code ("80500000", "80500000-9"),
    which stands for its significant prefix.
    """
    return normalize_cpv(code).startswith(normalize_prefix(prefix))


def normalize_prefix(prefix: str) -> str:
    """The digits a CPV prefix filter stands for: one to seven digits as written ("805"), a
    full code ("80500000", "80500000-9") as its significant prefix ("805").

    Raises InvalidCpvCode for anything else.
    """
    raw = prefix.strip()
    if _PREFIX_RE.fullmatch(raw) and len(raw) < 8:
        return raw
    try:
        return significant_prefix(raw)
    except InvalidCpvCode:
        raise InvalidCpvCode(
            f"malformed CPV prefix {prefix!r}: expected one to seven digits (e.g. '805') "
            "or a full CPV code (e.g. '80500000-9')"
        ) from None


def lookup(code: str) -> CpvCode | None:
    """The vocabulary entry for a code, or None if it is well-formed but not shipped.

    Raises InvalidCpvCode for malformed input.
    """
    return _vocabulary().get(normalize_cpv(code))


def known_cpv(code: str) -> str:
    """The bare eight digits of a code of CPV 2008; what every API that takes codes accepts.

    Raises InvalidCpvCode for malformed input or a wrong check digit, UnknownCpvCode for a
    well-formed code that CPV 2008 does not have.
    """
    digits = normalize_cpv(code)
    if digits not in _vocabulary():
        raise UnknownCpvCode(
            f"unknown CPV code {code!r}: it is not one of the {len(_vocabulary())} codes of "
            "CPV 2008 (search them at /v1/reference/cpv)"
        )
    return digits


def is_known(code: str) -> bool:
    """Whether the code is in the shipped vocabulary; malformed input is simply not known."""
    try:
        return lookup(code) is not None
    except InvalidCpvCode:
        return False


def all_codes() -> tuple[CpvCode, ...]:
    """Every shipped entry, ordered by code."""
    return tuple(_vocabulary().values())


def label(code: str, lang: Lang = "sv") -> str:
    """The Swedish (default) or English label of a shipped code.

    Raises UnknownCpvCode for a well-formed code outside the vocabulary.
    """
    entry = lookup(code)
    if entry is None:
        raise UnknownCpvCode(f"CPV code {code!r} is not in the shipped vocabulary")
    return _pick_label(entry, lang)


@cache
def _vocabulary() -> dict[str, CpvCode]:
    """Load and validate cpv_codes.csv once; bad data fails loudly at first use."""
    text = files(_DATA_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    vocabulary: dict[str, CpvCode] = {}
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        code, check, parent = row["code"], row["check_digit"], row["parent"] or None
        if not _CODE_RE.fullmatch(code) or (check and not (len(check) == 1 and check.isdigit())):
            raise ValueError(f"{_DATA_FILE}:{line_no}: bad code or check digit {code}-{check}")
        if code in vocabulary:
            raise ValueError(f"{_DATA_FILE}:{line_no}: duplicate code {code}")
        if parent is not None and parent not in vocabulary:  # the file is sorted by code
            raise ValueError(f"{_DATA_FILE}:{line_no}: parent {parent} of {code} is not before it")
        if not row["label_en"].strip() or not row["label_sv"].strip():
            raise ValueError(f"{_DATA_FILE}:{line_no}: missing label for {code}")
        vocabulary[code] = CpvCode(
            code=code,
            check_digit=check or None,
            label_sv=row["label_sv"].strip(),
            label_en=row["label_en"].strip(),
            level=LEVELS[_depth(code) - 1],
            parent=parent,
        )
    return vocabulary
