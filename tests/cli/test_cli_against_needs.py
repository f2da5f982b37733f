"""The `marketplace` command against a real needs service on the real Kafka and database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from marketplace_platform.cli import app
from tests.support.infra import (
    ServiceHandle,
    free_port,
    setting,
    start_service,
    unique,
    wait_healthy,
)

pytestmark = pytest.mark.infra

runner = CliRunner()


@pytest.fixture(scope="module")
def needs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceHandle, str]]:
    prefix = unique("t")
    handle = start_service("needs", tmp_path_factory.mktemp("cli-needs"), topic_prefix=prefix)
    try:
        asyncio.run(wait_healthy(handle))
        yield handle, prefix
    finally:
        handle.process.stop()


def cli(handle: ServiceHandle, *args: str, org: str = "karlstad") -> Result:
    closed = f"http://127.0.0.1:{free_port()}"
    return runner.invoke(
        app,
        [
            "--needs-url",
            handle.url,
            "--suppliers-url",
            closed,
            "--matching-url",
            closed,
            "--org",
            org,
            "--municipality",
            "1780",
            *args,
        ],
        env={"MARKETPLACE_TOKEN": "", "MARKETPLACE_ENVIRONMENT": "test"},
    )


def test_create_publish_and_list_a_need(needs: tuple[ServiceHandle, str], tmp_path: Path) -> None:
    handle, prefix = needs
    created = cli(
        handle,
        "--json",
        "needs",
        "create",
        "--title",
        "Digital ledsagning",
        "--problem",
        "Personer med funktionsnedsättning behöver stöd att resa på egen hand.",
        "--cpv",
        "72000000-5",
        "--tag",
        "social-enterprise",
    )
    assert created.exit_code == 0, created.output
    need = json.loads(created.output)
    assert (need["status"], need["phase"]) == ("draft", "hypothesis")

    mine = cli(handle, "needs", "list", "--mine")
    assert mine.exit_code == 0, mine.output
    assert need["id"] in mine.output

    published = cli(handle, "needs", "publish", need["id"])
    assert published.exit_code == 0, published.output
    assert f"published need {need['id']}" in published.output

    listed = cli(handle, "--json", "needs", "list", "--q", "ledsagning")
    assert listed.exit_code == 0, listed.output
    ids = [n["id"] for n in json.loads(listed.output)["items"]]
    assert need["id"] in ids

    table = cli(handle, "needs", "list", org="hammaro")
    assert table.exit_code == 0, table.output
    assert need["id"] in table.output

    moved = cli(handle, "needs", "phase", need["id"], "validation", "--reason", "users confirm")
    assert moved.exit_code == 0, moved.output
    shown = cli(handle, "needs", "show", need["id"])
    assert "validation" in shown.output
    assert "users confirm" in shown.output

    # A buyer's rule refused by the service: a clear line with the service's words.
    illegal = cli(handle, "needs", "phase", need["id"], "scaling")
    assert illegal.exit_code == 1
    assert "409" in illegal.output

    # The events are on Kafka, and `events tail` prints them.
    tail = runner.invoke(
        app,
        [
            "events",
            "tail",
            "needs",
            "--from-beginning",
            "--idle-timeout",
            "3",
            "--prefix",
            prefix,
            "--bootstrap",
            setting("KAFKA_BOOTSTRAP_SERVERS"),
        ],
    )
    assert tail.exit_code == 0, tail.output
    assert "need.published.v1" in tail.output
    assert f"key={need['id']}" in tail.output


def test_status_shows_the_running_service_and_its_consumer_group(
    needs: tuple[ServiceHandle, str],
) -> None:
    handle, prefix = needs
    result = runner.invoke(
        app,
        [
            "--json",
            "--needs-url",
            handle.url,
            "--suppliers-url",
            f"http://127.0.0.1:{free_port()}",
            "--matching-url",
            f"http://127.0.0.1:{free_port()}",
            "status",
            "--prefix",
            prefix,
            "--bootstrap",
            setting("KAFKA_BOOTSTRAP_SERVERS"),
        ],
    )
    assert result.exit_code == 1  # suppliers and matching are not running
    report = json.loads(result.output)
    states = {s["service"]: s["status"] for s in report["services"]}
    assert states == {"needs": "ok", "suppliers": "down", "matching": "down"}
    assert report["consumer_lag_error"] is None
    groups = [g["group"] for g in report["consumer_groups"]]
    assert all(g.startswith(prefix) for g in groups)
