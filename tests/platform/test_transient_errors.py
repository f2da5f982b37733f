"""Which handler errors are retried for as long as they last, and which are not."""

from __future__ import annotations

from pymongo.errors import AutoReconnect, OperationFailure

from marketplace_platform.consumers import is_transient


def test_a_busy_sqlite_database_is_retried_not_dead_lettered() -> None:
    busy = OperationFailure("SQLITE_BUSY: database is locked (5)", code=1)
    assert is_transient(busy)


def test_a_busy_database_as_the_cause_is_retried() -> None:
    try:
        try:
            raise OperationFailure("database is locked", code=1)
        except OperationFailure as inner:
            raise RuntimeError("recording the inbox entry failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_an_outage_is_retried() -> None:
    assert is_transient(AutoReconnect("connection refused"))


def test_other_database_refusals_are_not_transient() -> None:
    assert not is_transient(OperationFailure("unknown operator: $nope", code=2))
    assert not is_transient(RuntimeError("a bug"))
