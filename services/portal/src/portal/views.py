"""Shaping service answers for the pages: regions, CPV codes, adoption by county, the chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from marketplace_contracts.reference import (
    COUNTRY_CODE,
    InvalidCpvCode,
    UnknownRegion,
    all_counties,
    all_municipalities,
    all_nuts,
    children_of,
    county,
    lookup,
    municipality,
    parse_region,
    swedish_sort_key,
)

from .i18n import Lang, Translator


@dataclass(frozen=True)
class Option:
    value: str
    label: str


def county_options() -> list[Option]:
    counties = sorted(all_counties(), key=lambda c: swedish_sort_key(c.name))
    return [Option(c.code, c.name) for c in counties]


def municipality_options() -> list[Option]:
    found = sorted(all_municipalities(), key=lambda m: swedish_sort_key(m.name))
    return [Option(m.code, m.name) for m in found]


def nuts_options() -> list[Option]:
    """Sweden's NUTS-1 and NUTS-2 areas (landsdelar, riksområden), each under its parent.

    NUTS-3 areas are the counties and the country is offered on its own, so neither is here.
    """
    areas = [a for a in all_nuts() if a.level in (1, 2)]
    return [Option(a.code, f"{'– ' if a.level == 2 else ''}{a.name} ({a.code})") for a in areas]


def region_name(code: str, t: Translator) -> str:
    """ "SE" -> all of Sweden; a municipality, county or NUTS code -> its name."""
    try:
        region = parse_region(code)
    except UnknownRegion:
        return code
    return t("all_sweden") if region.code == COUNTRY_CODE else region.name


@dataclass(frozen=True)
class Cpv:
    """A CPV code as the pages show it: with its check digit where known and its label.

    ``reason`` is set on a suggestion of the needs service: why the code fits the need.
    """

    code: str  # the bare eight digits, or the text given when it is no CPV code
    full: str  # "80500000-9" where the check digit is known; a prefix ("805") as given
    label: str | None  # None for a code outside the vocabulary
    level: str | None = None
    has_children: bool = False
    reason: str | None = None

    @property
    def name(self) -> str:
        """ "80500000-9 Utbildningstjänster": the code with its label, for text and lists."""
        return f"{self.full} {self.label}" if self.label else self.full


def cpv(code: str, lang: Lang) -> Cpv:
    """A code ("80500000", "80500000-9") or a prefix ("805") with its label in ``lang``."""
    raw = code.strip()
    padded = raw.ljust(8, "0") if raw.isdigit() and 2 <= len(raw) < 8 else raw
    try:
        entry = lookup(padded)
    except InvalidCpvCode:
        entry = None
    if entry is None:
        return Cpv(raw, raw, None)
    return Cpv(
        code=entry.code,
        full=raw if padded != raw else entry.full,  # a prefix stays a prefix
        label=entry.label(lang),
        level=entry.level,
        has_children=bool(children_of(entry.code)),
    )


def cpv_option(item: dict[str, Any], lang: Lang) -> Cpv:
    """A result of the needs service's code search or suggestions, for the CPV picker.

    The service's label (asked for in ``lang``) wins; the vocabulary adds what the answer
    leaves out (the check digit and the level of a suggestion, whether there are sub-codes).
    """
    known = cpv(str(item.get("code", "")), lang)
    return Cpv(
        code=known.code,
        full=str(item.get("full") or known.full),
        label=str(item.get("label") or known.label or "") or None,
        level=str(item.get("level") or known.level or "") or None,
        has_children=known.has_children,
        reason=str(item["reason"]) if item.get("reason") else None,
    )


@dataclass
class CountyGroup:
    name: str
    places: list[str] = field(default_factory=list)


def by_county(deployments: list[dict[str, Any]]) -> list[CountyGroup]:
    """Where a solution runs: organisations grouped by county, both in Swedish order."""
    groups: dict[str, CountyGroup] = {}
    for d in deployments:
        code = d.get("municipality_code")
        try:
            place = municipality(code) if code else None
        except UnknownRegion:
            place = None
        county_name = county(place.county_code).name if place else "–"
        label = f"{d['buyer_org']} ({place.name})" if place else str(d["buyer_org"])
        group = groups.setdefault(county_name, CountyGroup(county_name))
        if label not in group.places:
            group.places.append(label)
    for group in groups.values():
        group.places.sort(key=swedish_sort_key)
    return sorted(groups.values(), key=lambda g: swedish_sort_key(g.name))


def adoption_series(deployments: list[dict[str, Any]]) -> list[tuple[datetime, int]]:
    """The cumulative number of organisations using a solution, one point per deployment."""
    seen: set[str] = set()
    points: list[tuple[datetime, int]] = []
    for d in sorted(deployments, key=lambda d: str(d.get("since"))):
        org = str(d.get("buyer_org"))
        if org in seen:
            continue
        seen.add(org)
        points.append((datetime.fromisoformat(str(d["since"])), len(seen)))
    return points


def adoption_chart(name: str, points: list[tuple[datetime, int]], t: Translator) -> str:
    """A small step chart as inline SVG, labelled for screen readers (a table follows it)."""
    width, height, pad_l, pad_b, pad_t, pad_r = 480, 160, 36, 28, 12, 12
    if not points:
        return ""
    first, last = points[0][0], points[-1][0]
    span = max((last - first).total_seconds(), 1.0)
    top = max(n for _, n in points)

    def x(when: datetime) -> float:
        if len(points) == 1:
            return pad_l + (width - pad_l - pad_r) / 2
        return pad_l + (when - first).total_seconds() / span * (width - pad_l - pad_r)

    def y(n: int) -> float:
        return height - pad_b - n / top * (height - pad_b - pad_t)

    path = [f"M{pad_l:.1f},{y(0):.1f}"]
    for when, n in points:
        path.append(f"H{x(when):.1f}")
        path.append(f"V{y(n):.1f}")
    path.append(f"H{width - pad_r:.1f}")
    label = t("chart_label", name=name, first=t.date(first), last=t.date(last), n=t.number(top))
    dots = "".join(
        f'<circle cx="{x(w):.1f}" cy="{y(n):.1f}" r="3.5" fill="#0b5394"/>' for w, n in points
    )
    base = height - pad_b
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(label)}</title>'
        f'<line x1="{pad_l}" y1="{base}" x2="{width - pad_r}" y2="{base}" stroke="#444"/>'
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{base}" stroke="#444"/>'
        f'<text x="{pad_l - 6}" y="{y(top) + 4:.1f}" text-anchor="end" font-size="12" '
        f'fill="#222">{top}</text>'
        f'<text x="{pad_l - 6}" y="{base + 4}" text-anchor="end" font-size="12" '
        f'fill="#222">0</text>'
        f'<text x="{pad_l}" y="{height - 8}" font-size="12" fill="#222">'
        f"{escape(t.date(first))}</text>"
        f'<text x="{width - pad_r}" y="{height - 8}" text-anchor="end" font-size="12" '
        f'fill="#222">{escape(t.date(last))}</text>'
        f'<path d="{" ".join(path)}" fill="none" stroke="#0b5394" stroke-width="2.5"/>'
        f"{dots}</svg>"
    )


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def joined_lists(values: Iterable[object]) -> list[str]:
    """Every value of a repeated form field, each comma-separated, once and in order.

    A field is sent as one text ("90910000, 80500000" without JavaScript) or as one value per
    chosen item (the CPV picker's hidden inputs, a multiple select): both read the same.
    """
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str):
            seen.update(dict.fromkeys(split_list(value)))
    return list(seen)
