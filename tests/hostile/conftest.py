from __future__ import annotations

from typing import Any

from tests.faults import report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    report.terminal_summary(terminalreporter)
