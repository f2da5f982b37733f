"""The one optimistic-concurrency retry: again on a lost race, at most so many times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from marketplace_platform.concurrency import retry_on_conflict


class Lost(Exception):
    pass


class KeepsChanging(Exception):
    pass


def flaky(losses: int, result: str = "saved") -> tuple[list[int], Callable[[], Awaitable[str]]]:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= losses:
            raise Lost(f"lost race {len(calls)}")
        return result

    return calls, attempt


async def test_a_won_race_answers_at_once() -> None:
    calls, attempt = flaky(0)
    assert await retry_on_conflict(attempt, attempts=3, conflict=Lost) == "saved"
    assert calls == [1]


async def test_lost_races_are_tried_again_up_to_the_limit() -> None:
    calls, attempt = flaky(2)
    assert await retry_on_conflict(attempt, attempts=3, conflict=Lost) == "saved"
    assert calls == [1, 2, 3]


async def test_the_last_lost_race_is_raised_without_an_exhausted_error() -> None:
    calls, attempt = flaky(5)
    with pytest.raises(Lost, match="lost race 3"):
        await retry_on_conflict(attempt, attempts=3, conflict=Lost)
    assert calls == [1, 2, 3]


async def test_exhausted_names_the_error_raised_after_the_last_attempt() -> None:
    _, attempt = flaky(5)
    with pytest.raises(KeepsChanging) as raised:
        await retry_on_conflict(
            attempt,
            attempts=2,
            conflict=Lost,
            exhausted=lambda: KeepsChanging("keeps changing"),
        )
    assert isinstance(raised.value.__cause__, Lost)


async def test_any_other_error_is_raised_at_once() -> None:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        raise LookupError("no such thing")

    with pytest.raises(LookupError):
        await retry_on_conflict(attempt, attempts=5, conflict=Lost)
    assert calls == [1]
