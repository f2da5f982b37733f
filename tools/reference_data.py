"""Rebuild the shipped reference data from the EU's eForms SDK (`make reference`).

The SDK jar on Maven Central (eu.europa.ted.eforms:eforms-sdk) carries the Publications
Office's code lists as genericode files: ``codelists/cpv.gc`` (all 9 454 codes of CPV 2008 with
parent and labels in every EU language) and ``codelists/nuts.gc`` (NUTS with parents). This
script reads them from the jar and writes, into the contracts package:

* ``cpv_codes.csv``: code, check digit (where known, see below), parent, English and Swedish
  label;
* ``nuts_se.csv``: Sweden's NUTS codes (country, NUTS-1, NUTS-2, NUTS-3) with parent, level,
  labels and, for NUTS-3, the county (län) it is, matched by the county's Swedish name;
* ``reference_source.json``: the SDK version and the SHA-256 of each source list and each
  written file, so that a test can tell the committed data from a hand-edited copy.

Check digits are not in the SDK's list. The official digits of the codes curated earlier stay
in ``cpv_check_digits.csv`` (kept by hand, 412 codes); every other code is accepted with any
digit. No published formula reproduces every official digit, so none is guessed.

Usage: ``python -m tools.reference_data [--jar PATH]``; without ``--jar`` the jar is fetched
with Maven (``mvn dependency:copy``) into ``.local/reference/``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

SDK_GROUP = "eu.europa.ted.eforms"
SDK_ARTIFACT = "eforms-sdk"
SDK_VERSION = "1.13.0"
CPV_ENTRY = "eforms-sdk/codelists/cpv.gc"
NUTS_ENTRY = "eforms-sdk/codelists/nuts.gc"

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "libs/contracts/src/marketplace_contracts/reference"
CPV_FILE = "cpv_codes.csv"
NUTS_FILE = "nuts_se.csv"
CHECK_DIGITS_FILE = "cpv_check_digits.csv"
COUNTIES_FILE = "counties.csv"
SOURCE_FILE = "reference_source.json"
CPV_COLUMNS = ("code", "check_digit", "parent", "label_en", "label_sv")
NUTS_COLUMNS = ("code", "parent", "level", "label_sv", "label_en", "county_code")
# The "Extra-Regio" codes name no place (statistics outside any region); never a buyer's.
NUTS_EXTRA_REGIO = "SEZ"


@dataclass(frozen=True, slots=True)
class CodeRow:
    code: str
    parent: str | None
    label_en: str
    label_sv: str


def read_genericode(xml_bytes: bytes) -> list[CodeRow]:
    """The rows of a genericode code list: code, parentCode, eng_label and swe_label."""
    root = ET.fromstring(xml_bytes)  # noqa: S314 - the EU's own file from a pinned jar
    out: list[CodeRow] = []
    for row in root.iter("Row"):
        values = {
            value.get("ColumnRef"): (value.findtext("SimpleValue") or "").strip()
            for value in row.iter("Value")
        }
        code = values.get("code", "")
        if not code:
            raise ValueError("a genericode row without a code")
        out.append(
            CodeRow(
                code=code,
                parent=values.get("parentCode") or None,
                label_en=values.get("eng_label") or values.get("Name") or "",
                label_sv=values.get("swe_label") or "",
            )
        )
    return out


def nearest_ancestor(code: str, codes: set[str]) -> str | None:
    """The deepest existing code that ``code``'s significant digits extend ("6011200" -> 601)."""
    prefix = code.rstrip("0")
    for width in range(len(prefix) - 1, 1, -1):
        candidate = prefix[:width].ljust(8, "0")
        if candidate in codes:
            return candidate
    return None


def cpv_rows(rows: list[CodeRow], check_digits: dict[str, str]) -> list[dict[str, str]]:
    """CPV rows sorted by code, each checked: eight digits, both labels, a parent that exists.

    The SDK leaves 28 codes below division level without a parent (60112000, 35611100, ...);
    they get their nearest ancestor by digits, as the hierarchy encoded in the code implies.
    """
    codes = {row.code for row in rows}
    out = []
    for row in sorted(rows, key=lambda r: r.code):
        if len(row.code) != 8 or not row.code.isdigit():
            raise ValueError(f"CPV code {row.code!r} is not eight digits")
        if not row.label_en or not row.label_sv:
            raise ValueError(f"CPV code {row.code} lacks an English or Swedish label")
        if row.parent is not None and row.parent not in codes:
            raise ValueError(f"CPV code {row.code} names an unknown parent {row.parent}")
        out.append(
            {
                "code": row.code,
                "check_digit": check_digits.get(row.code, ""),
                "parent": row.parent or nearest_ancestor(row.code, codes) or "",
                "label_en": row.label_en,
                "label_sv": row.label_sv,
            }
        )
    unknown = set(check_digits) - codes
    if unknown:
        raise ValueError(f"{CHECK_DIGITS_FILE} names codes outside CPV 2008: {sorted(unknown)}")
    return out


def nuts_rows(rows: list[CodeRow], county_names: dict[str, str]) -> list[dict[str, str]]:
    """Sweden's NUTS rows; each NUTS-3 code is tied to the county of the same Swedish name."""
    by_name = {name: code for code, name in county_names.items()}
    out = []
    for row in sorted(rows, key=lambda r: r.code):
        if not row.code.startswith("SE") or row.code.startswith(NUTS_EXTRA_REGIO):
            continue
        level = len(row.code) - 2  # SE 0, SE1 1, SE11 2, SE110 3
        county_code = ""
        if level == 3:
            county_code = by_name.get(row.label_sv, "")
            if not county_code:
                raise ValueError(f"NUTS-3 {row.code} ({row.label_sv}) names no county")
        out.append(
            {
                "code": row.code,
                "parent": row.parent or "",
                "level": str(level),
                "label_sv": row.label_sv,
                "label_en": row.label_en,
                "county_code": county_code,
            }
        )
    mapped = {row["county_code"] for row in out if row["county_code"]}
    if mapped != set(county_names):
        raise ValueError(f"counties without a NUTS-3 code: {sorted(set(county_names) - mapped)}")
    return out


def to_csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def fetch_jar() -> Path:
    """The SDK jar, copied by Maven from Maven Central (or the local Maven repository)."""
    target = ROOT / ".local/reference"
    target.mkdir(parents=True, exist_ok=True)
    jar = target / f"{SDK_ARTIFACT}-{SDK_VERSION}.jar"
    if not jar.exists():
        artifact = f"{SDK_GROUP}:{SDK_ARTIFACT}:{SDK_VERSION}:jar"
        subprocess.run(  # noqa: S603 - fixed arguments
            [  # noqa: S607 - Maven from PATH, as the Kafka provisioning uses it
                "mvn",
                "-q",
                "-B",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
                f"-Dartifact={artifact}",
                f"-DoutputDirectory={target}",
            ],
            check=True,
        )
    return jar


def build(jar: Path) -> dict[str, str]:
    """The files to write, by name, from the jar."""
    with zipfile.ZipFile(jar) as archive:
        cpv_source = archive.read(CPV_ENTRY)
        nuts_source = archive.read(NUTS_ENTRY)
    check_digits = {
        row["code"]: row["check_digit"]
        for row in csv.DictReader(io.StringIO((DATA_DIR / CHECK_DIGITS_FILE).read_text("utf-8")))
    }
    county_names = {
        row["code"]: row["name"]
        for row in csv.DictReader(io.StringIO((DATA_DIR / COUNTIES_FILE).read_text("utf-8")))
    }
    cpv_text = to_csv(CPV_COLUMNS, cpv_rows(read_genericode(cpv_source), check_digits))
    nuts_text = to_csv(NUTS_COLUMNS, nuts_rows(read_genericode(nuts_source), county_names))
    source = {
        "sdk": f"{SDK_GROUP}:{SDK_ARTIFACT}:{SDK_VERSION}",
        "sources": {CPV_ENTRY: sha256(cpv_source), NUTS_ENTRY: sha256(nuts_source)},
        "files": {CPV_FILE: sha256(cpv_text), NUTS_FILE: sha256(nuts_text)},
        "cpv_codes": cpv_text.count("\n") - 1,
        "nuts_codes": nuts_text.count("\n") - 1,
    }
    return {
        CPV_FILE: cpv_text,
        NUTS_FILE: nuts_text,
        SOURCE_FILE: json.dumps(source, indent=2, ensure_ascii=False) + "\n",
    }


def _committed(name: str) -> str | None:
    path = DATA_DIR / name
    return path.read_text("utf-8") if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jar", type=Path, help="an eforms-sdk jar instead of Maven's")
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files, write nothing"
    )
    args = parser.parse_args(argv)
    files = build(args.jar or fetch_jar())
    stale = [name for name, text in files.items() if _committed(name) != text]
    if args.check:
        for name in stale:
            print(f"{name} differs from what eforms-sdk {SDK_VERSION} gives", file=sys.stderr)
        return 1 if stale else 0
    for name, text in files.items():
        (DATA_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {', '.join(files)} from eforms-sdk {SDK_VERSION} ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
