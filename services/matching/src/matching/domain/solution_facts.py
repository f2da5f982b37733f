"""What SolutionIndex knows of each solution besides its text, vectorized per slot.

Every solution has a dense slot; its maturity, social proof, "serves SE" and tag bits live in
numpy arrays, and its regions and tags in postings, so that the CPV, region, fit and social
proof components (`scoring`'s scalar functions, mirrored with numpy) are computed for all
candidates of a query at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from marketplace_contracts.reference.regions import COUNTRY_CODE, county_of

from .model import NeedProfile, SolutionProfile
from .postings import FloatArray, IntArray, Postings, add_keys, remove_keys
from .scoring import (
    CPV_LEVEL_SCORES,
    MATURITY_INDEX,
    PHASE_INDEX,
    PHASE_MATURITY_FIT,
    REGION_SCORES,
    ScoringWeights,
)

_CPV_SCORES = np.array(CPV_LEVEL_SCORES, dtype=np.float64)
_REGION_SCORES = np.array(REGION_SCORES, dtype=np.float64)
_FIT = np.array([PHASE_MATURITY_FIT[p] for p in PHASE_INDEX], dtype=np.float64)
# Tags get a bit of their own in a per-slot int64 mask, the first 63 ever seen.
_TAG_BITS = 63


class SolutionFacts:
    """Per-slot arrays (grown in blocks by `grow`) and the region and tag postings."""

    __slots__ = (
        "_country",
        "_maturity",
        "_region_scratch",
        "_regions",
        "_social",
        "_tag_bits",
        "_tag_mask",
        "_tags",
    )

    def __init__(self) -> None:
        self._maturity = np.zeros(0, dtype=np.intp)
        self._social = np.zeros(0, dtype=np.float64)
        self._country = np.zeros(0, dtype=np.int8)  # 1 where the solution serves "SE"
        self._tag_mask = np.zeros(0, dtype=np.int64)
        self._tag_bits: dict[str, int] = {}
        self._region_scratch = np.zeros(0, dtype=np.int8)
        self._regions: dict[str, Postings] = {}
        self._tags: dict[str, Postings] = {}

    @property
    def capacity(self) -> int:
        """Slots the arrays hold; slots from 0 to capacity - 1 may be used."""
        return len(self._social)

    def grow(self) -> int:
        """Double the capacity (to 1024 slots at first); returns the new capacity."""
        cap = max(1024, 2 * len(self._social))
        self._maturity = np.concatenate(
            [self._maturity, np.zeros(cap - len(self._maturity), dtype=np.intp)]
        )
        self._social = np.concatenate(
            [self._social, np.zeros(cap - len(self._social), dtype=np.float64)]
        )
        self._country = np.concatenate(
            [self._country, np.zeros(cap - len(self._country), dtype=np.int8)]
        )
        self._tag_mask = np.concatenate(
            [self._tag_mask, np.zeros(cap - len(self._tag_mask), dtype=np.int64)]
        )
        self._region_scratch = np.zeros(cap, dtype=np.int8)
        return cap

    def add(self, slot: int, profile: SolutionProfile, social: float) -> None:
        self._maturity[slot] = MATURITY_INDEX[profile.maturity]
        self._social[slot] = social
        self._country[slot] = COUNTRY_CODE in profile.regions
        mask = 0
        for tag in profile.tags:
            bit = self._tag_bits.get(tag)
            if bit is None and len(self._tag_bits) < _TAG_BITS:
                bit = self._tag_bits[tag] = len(self._tag_bits)
            if bit is not None:
                mask |= 1 << bit
        self._tag_mask[slot] = mask
        add_keys(self._regions, profile.regions, slot)
        add_keys(self._tags, sorted(profile.tags), slot)

    def remove(self, slot: int, profile: SolutionProfile) -> None:
        remove_keys(self._regions, profile.regions, slot)
        remove_keys(self._tags, sorted(profile.tags), slot)
        self._maturity[slot] = 0
        self._social[slot] = 0.0
        self._country[slot] = 0
        self._tag_mask[slot] = 0

    def set_social(self, slot: int, social: float) -> None:
        self._social[slot] = social

    def region_levels(self, location: str, cands: IntArray) -> npt.NDArray[np.int8]:
        """scoring.region_level for every candidate, same precedence: the larger wins."""
        levels = self._region_scratch
        keys: list[tuple[str, int]] = []
        if len(location) == 4:
            county = county_of(location)
            assert county is not None
            keys = [(county, 2), (location, 3)]
        elif location != COUNTRY_CODE:
            keys = [(location, 2)]
        touched = [
            (p.np_slots(), level)
            for key, level in keys
            if (p := self._regions.get(key)) is not None
        ]
        for slots, level in touched:
            levels[slots] = level
        # "SE" is served by a large share of solutions: a per-slot flag, not a scatter.
        out: npt.NDArray[np.int8] = np.maximum(levels[cands], self._country[cands])
        for slots, _ in touched:
            levels[slots] = 0  # scratch: zero again for the next query
        return out

    def shared_tags(self, tags: frozenset[str], cands: IntArray) -> FloatArray:
        """How many of `tags` each candidate has: popcount over per-slot tag bits for the
        first 63 tags ever seen, posting lists for any beyond (tags are an open set)."""
        mask = 0
        shared = np.zeros(cands.size, dtype=np.float64)
        for tag in tags:
            bit = self._tag_bits.get(tag)
            if bit is not None:
                mask |= 1 << bit
            elif (p := self._tags.get(tag)) is not None:
                hit = np.zeros(self.capacity, dtype=np.bool_)
                hit[p.np_slots()] = True
                shared += hit[cands]
        if mask:
            shared += np.bitwise_count(self._tag_mask[cands] & np.int64(mask))
        return shared

    def base_scores(
        self, w: ScoringWeights, need: NeedProfile, cands: IntArray, depth: npt.NDArray[np.int8]
    ) -> FloatArray:
        """Weighted CPV, region, fit and social proof: the score except its text share."""
        region = _REGION_SCORES[self.region_levels(need.municipality_code, cands)]
        fit = _FIT[PHASE_INDEX[need.phase]][self._maturity[cands]]
        if need.tags:
            shared = self.shared_tags(need.tags, cands)
            fit = (1.0 - w.tag_share) * fit + w.tag_share * (shared / len(need.tags))
        out: FloatArray = (
            w.cpv * _CPV_SCORES[depth]
            + w.region * region
            + w.fit * fit
            + w.social_proof * self._social[cands]
        )
        return out

    def base_bound(
        self, w: ScoringWeights, need: NeedProfile, cands: IntArray, depth: npt.NDArray[np.int8]
    ) -> FloatArray:
        """An upper bound of `base_scores` from what is cheap: the exact CPV and social proof
        share, the best region and the best fit the need's phase allows."""
        pf_best = max(PHASE_MATURITY_FIT[need.phase])
        fit_best = (1.0 - w.tag_share) * pf_best + w.tag_share if need.tags else pf_best
        out: FloatArray = (
            w.cpv * _CPV_SCORES[depth]
            + (w.region + w.fit * fit_best)
            + w.social_proof * self._social[cands]
        )
        return out
