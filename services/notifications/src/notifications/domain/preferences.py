"""What a contact wants to hear about, and how often.

A contact's preferences are a list of rules `(kind, scope, cadence)`. `kind` is one of
`KINDS`; `scope` narrows it to one subscription (alerts) or one need (matches and scaling
opportunities), or is None for every one of that kind. The most specific rule wins: a rule
for the subscription or need, else the kind's general rule, else the kind's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from marketplace_platform.errors import Invalid

Kind = Literal["matches", "alerts", "scaling"]
Cadence = Literal["immediate", "daily", "weekly", "off"]
KINDS: tuple[Kind, ...] = get_args(Kind)
CADENCES: tuple[Cadence, ...] = get_args(Cadence)

# Assumed defaults, until a contact says otherwise: alerts and scaling opportunities are
# rare and time-sensitive (a need to answer, a solution to join), matches come in numbers.
DEFAULT_CADENCE: Mapping[Kind, Cadence] = {
    "matches": "daily",
    "alerts": "immediate",
    "scaling": "immediate",
}
MAX_RULES = 200


@dataclass(frozen=True)
class Rule:
    kind: Kind
    scope: str | None
    cadence: Cadence

    def as_doc(self) -> dict[str, str | None]:
        return {"kind": self.kind, "scope": self.scope, "cadence": self.cadence}


def parse_rules(raw: Iterable[Mapping[str, object]], field: str = "preferences") -> list[Rule]:
    """Rules from their documents (the API's body or the stored contact), checked: known
    kind and cadence, one rule per kind and scope."""
    rules: dict[tuple[str, str | None], Rule] = {}
    for index, item in enumerate(raw):
        kind, cadence, scope = item.get("kind"), item.get("cadence"), item.get("scope")
        where = f"{field}[{index}]"
        if kind not in KINDS:
            raise Invalid(
                f"kind must be one of {', '.join(KINDS)}", field=f"{where}.kind", value=kind
            )
        if cadence not in CADENCES:
            raise Invalid(
                f"cadence must be one of {', '.join(CADENCES)}",
                field=f"{where}.cadence",
                value=cadence,
            )
        if scope is not None and (not isinstance(scope, str) or not 0 < len(scope) <= 100):
            raise Invalid(
                "scope is a subscription or need id (1-100 characters) or null",
                field=f"{where}.scope",
                value=scope,
            )
        key = (str(kind), scope)
        if key in rules:
            raise Invalid("one rule per kind and scope", field=f"{where}.scope", value=scope)
        rules[key] = Rule(kind, scope, cadence)
    if len(rules) > MAX_RULES:
        raise Invalid(f"at most {MAX_RULES} rules", field=field)
    return list(rules.values())


def cadence_for(rules: Iterable[Rule], kind: Kind, scope: str | None) -> Cadence:
    general: Cadence | None = None
    for rule in rules:
        if rule.kind != kind:
            continue
        if scope is not None and rule.scope == scope:
            return rule.cadence
        if rule.scope is None:
            general = rule.cadence
    return general or DEFAULT_CADENCE[kind]


def with_rule(rules: Iterable[Rule], rule: Rule) -> list[Rule]:
    """The rules with `rule` in place of the one for its kind and scope."""
    kept = [r for r in rules if (r.kind, r.scope) != (rule.kind, rule.scope)]
    return [*kept, rule]
