"""Validation against the OCDS 1.1.5 schemas and codelists shipped with the needs service
(no network): every failure names the path and the rule."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from needs.adapters.ocds import SCHEMA_PATCH, schema

Document = dict[str, Any]
SCHEMAS = (
    "release-schema.json",
    "release-package-schema.json",
    "record-package-schema.json",
    "versioned-release-validation-schema.json",
)


@cache
def _registry() -> Registry[Any]:
    resources_ = [
        (s["id"], Resource.from_contents(s, default_specification=DRAFT4))
        for s in (schema(name) for name in SCHEMAS)
    ]
    return Registry().with_resources(resources_)


@cache
def _validator(name: str) -> Draft4Validator:
    return Draft4Validator(schema(name), registry=_registry(), format_checker=FormatChecker())


def schema_errors(document: Document, name: str) -> list[str]:
    """What is wrong with `document` against one shipped schema, one line per error."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(_validator(name).iter_errors(document), key=lambda e: e.path)
    ]


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one OCDS codelist ("partyRole.csv")."""
    files = resources.files("needs.adapters") / "ocds_schema" / SCHEMA_PATCH / "codelists"
    rows = csv.DictReader((files / name).read_text(encoding="utf-8").splitlines())
    return frozenset(row["Code"] for row in rows)


def codelist_errors(release: Document) -> list[str]:
    """Values of the open codelists a release uses that are not in them (the schema checks
    only the closed ones)."""
    found = []
    for party in release.get("parties", []):
        found += [f"parties/{party['id']}/roles: {r}" for r in party["roles"]
                  if r not in codelist("partyRole.csv")]  # fmt: skip
    for milestone in release.get("planning", {}).get("milestones", []):
        if milestone["type"] not in codelist("milestoneType.csv"):
            found.append(f"planning/milestones/{milestone['id']}/type: {milestone['type']}")
    for item in release.get("tender", {}).get("items", []):
        scheme = item["classification"]["scheme"]
        if scheme not in codelist("itemClassificationScheme.csv"):
            found.append(f"tender/items/{item['id']}/classification/scheme: {scheme}")
    return found
