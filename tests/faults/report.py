"""The figures of the fault and hostile-input suites: one row per scenario, printed at the
end of the session and written to `.local/faults/report.json`."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.support.infra import ROOT

REPORT_PATH = ROOT / ".local" / "faults" / "report.json"
SCENARIOS: list[dict[str, Any]] = []
HOSTILE: dict[str, Any] = {}
_state = {"printed": False}


def scenario(name: str, **figures: Any) -> None:
    SCENARIOS.append({"scenario": name, **figures})
    write()


def hostile(key: str, value: Any) -> None:
    HOSTILE[key] = value
    write()


def write() -> None:
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(
        json.dumps(
            {
                "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "scenarios": SCENARIOS,
                "hostile": HOSTILE,
            },
            indent=2,
            default=str,
        )
    )


def table() -> str:
    cols = [
        "scenario",
        "events_sent",
        "expected",
        "found",
        "duplicated",
        "backlog",
        "first_handled_s",
        "drained_s",
        "recover_s",
        "note",
    ]
    rows = [[str(r.get(c, "")) for c in cols] for r in SCENARIOS]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(cols)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    for key, value in HOSTILE.items():
        lines.append(f"{key}: {json.dumps(value, default=str)}")
    return "\n".join(lines)


def terminal_summary(terminalreporter: Any) -> None:
    if _state["printed"] or not (SCENARIOS or HOSTILE):
        return
    _state["printed"] = True
    terminalreporter.write_sep("=", "faults and hostile input")
    terminalreporter.write_line(table())
    terminalreporter.write_line(f"(written to {REPORT_PATH})")
