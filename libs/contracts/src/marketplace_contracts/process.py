"""The innovation process model: need phases, allowed moves, maturity, practice tags.

Shared because two services read it: needs enforces the phase moves, portal offers the same
phases, maturities and practice tags in its forms (the `Phase` and `Maturity` it names are
the events' own vocabulary, in `marketplace_contracts.vocabulary`).
"""

from __future__ import annotations

from typing import Final, get_args

from .vocabulary import Maturity, Phase

WITHDRAWN: Final[Phase] = "withdrawn"
# The phases in their order (the vocabulary's), withdrawn being no step of the process.
PHASES: Final[tuple[Phase, ...]] = tuple(p for p in get_args(Phase) if p != WITHDRAWN)
ALL_PHASES: Final[tuple[str, ...]] = get_args(Phase)
MATURITIES: Final[tuple[str, ...]] = get_args(Maturity)


def phase_index(phase: str) -> int:
    return PHASES.index(phase)  # type: ignore[arg-type,unused-ignore]


def allowed_moves(current: str) -> list[str]:
    """Phases a need may move to from `current`: the next one, any earlier one, withdrawn.

    Forward moves go one step at a time, because each phase is a real stage of work with the
    users; moving back any number of steps is allowed (with a reason), as the process is
    iterative. A withdrawn need stays withdrawn.
    """
    if current == WITHDRAWN:
        return []
    i = phase_index(current)
    moves: list[str] = list(PHASES[:i])
    if i + 1 < len(PHASES):
        moves.append(PHASES[i + 1])
    moves.append(WITHDRAWN)
    return moves


# An implementation is recorded once the need has been procured (or later).
IMPLEMENTABLE_PHASES: Final[tuple[str, ...]] = ("procurement", "implementation", "scaling")


def forward_first(current: str, moves: list[str]) -> list[str]:
    """Moves in the order a person weighs them: the next phase first (what is most often
    done next), then back one step at a time (the nearest earlier phase first), the rest
    (withdrawn) last."""

    def order(p: str) -> tuple[int, int]:
        if p not in PHASES or current not in PHASES:
            return (2, moves.index(p))
        if is_backward(current, p):
            return (1, -phase_index(p))
        return (0, phase_index(p))

    return sorted(moves, key=order)


def next_phase(current: str) -> str | None:
    """The phase after `current`; None in the last phase (and for a withdrawn need)."""
    if current not in PHASES:
        return None
    i = phase_index(current)
    return PHASES[i + 1] if i + 1 < len(PHASES) else None


def is_backward(current: str, target: str) -> bool:
    return target in PHASES and current in PHASES and phase_index(target) < phase_index(current)


# Procurement practices from the source document; the set is open for more.
PRACTICE_TAGS: Final[dict[str, dict[str, str]]] = {
    "social-enterprise": {
        "en": "Collaboration with work-integrating social enterprises",
        "sv": "Samverkan med arbetsintegrerande sociala företag",
    },
    "gender-equality": {
        "en": "Gender-equal procurement",
        "sv": "Jämställd upphandling",
    },
    "on-site-follow-up": {
        "en": "On-site follow-up of working conditions",
        "sv": "Uppföljning på plats av arbetsvillkor",
    },
    "sustainability": {
        "en": "Environmental and social sustainability",
        "sv": "Hållbarhet",
    },
    "accessibility": {"en": "Accessibility", "sv": "Tillgänglighet"},
    "digital-inclusion": {"en": "Digital inclusion", "sv": "Digital delaktighet"},
}


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").split())


def practice_tag(value: str) -> str | None:
    """The tag a person means: its code ("sustainability"), or its Swedish or English name
    or that name's first word, in any case ("hållbarhet", "Jämställd", "accessibility").
    None when nothing fits."""
    wanted = _folded(value)
    for code, names in PRACTICE_TAGS.items():
        forms = {_folded(code), *(_folded(n) for n in names.values())}
        forms |= {f.split()[0] for f in forms if f}
        if wanted in forms:
            return code
    return None
