"""The `marketplace` command against a real needs service on the real Kafka and database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from marketplace_tools.cli import app
from marketplace_tools.cli.core import out
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
            "--notifications-url",
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
            "--notifications-url",
            f"http://127.0.0.1:{free_port()}",
            "status",
            "--prefix",
            prefix,
            "--bootstrap",
            setting("KAFKA_BOOTSTRAP_SERVERS"),
        ],
    )
    assert result.exit_code == 1  # suppliers, matching and notifications are not running
    report = json.loads(result.output)
    states = {s["service"]: s["status"] for s in report["services"]}
    assert states == {
        "needs": "ok",
        "suppliers": "down",
        "matching": "down",
        "notifications": "down",
    }
    assert report["consumer_lag_error"] is None
    groups = [g["group"] for g in report["consumer_groups"]]
    assert groups, "the needs service's consumer groups are listed"
    assert all(g.startswith(prefix) for g in groups)


def test_cpv_search_and_suggest(needs: tuple[ServiceHandle, str]) -> None:
    handle, _ = needs
    table = cli(handle, "cpv", "search", "städ", "--lang", "sv")
    assert table.exit_code == 0, table.output
    assert "90910000-9" in table.output
    assert "Städning" in table.output
    assert "class" in table.output

    found = cli(handle, "--json", "cpv", "search", "805", "--limit", "5")
    assert found.exit_code == 0, found.output
    page = json.loads(found.output)
    assert [item["code"][:3] for item in page["items"]] == ["805"] * 5
    assert page["next"]
    following = cli(
        handle, "--json", "cpv", "search", "805", "--limit", "5", "--cursor", page["next"]
    )
    assert following.exit_code == 0, following.output
    assert json.loads(following.output)["items"][0]["code"] not in [
        item["code"] for item in page["items"]
    ]

    children = cli(handle, "--json", "--lang", "en", "cpv", "search", "--parent", "90911000")
    assert children.exit_code == 0, children.output
    labels = {item["code"]: item["label"] for item in json.loads(children.output)["items"]}
    assert labels["90911300"] == "Window-cleaning services"

    suggested = cli(
        handle,
        "cpv",
        "suggest",
        "--title",
        "Städning av skolor",
        "--problem",
        "Skolornas lokaler städas för sällan och eleverna klagar på smuts.",
    )
    assert suggested.exit_code == 0, suggested.output
    assert "90919300-5" in suggested.output
    assert "score" in suggested.output
    as_json = cli(
        handle,
        "--json",
        "cpv",
        "suggest",
        "--title",
        "School cleaning",
        "--problem",
        "The schools are not cleaned often enough.",
        "--language",
        "en",
        "--lang",
        "en",
    )
    assert as_json.exit_code == 0, as_json.output
    items = json.loads(as_json.output)["items"]
    assert items
    assert {"code", "label", "score", "reason"} <= set(items[0])


def test_needs_show_cpv_codes_with_their_labels(
    needs: tuple[ServiceHandle, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, _ = needs
    monkeypatch.setattr(out, "width", 200)  # a terminal wide enough for the needs table
    created = cli(
        handle,
        "--json",
        "needs",
        "create",
        "--title",
        "Städning av skolor",
        "--problem",
        "Skolornas lokaler städas för sällan.",
        "--cpv",
        "90910000",
        "--cpv",
        "80500000-9",
    )
    assert created.exit_code == 0, created.output
    need = json.loads(created.output)
    shown = cli(handle, "needs", "show", need["id"])
    assert shown.exit_code == 0, shown.output
    assert "90910000-9 Städning" in shown.output
    assert "80500000-9 Utbildningstjänster" in shown.output
    english = cli(handle, "--lang", "en", "needs", "show", need["id"])
    assert "90910000-9 Cleaning services" in english.output
    mine = cli(handle, "--lang", "en", "needs", "list", "--mine")
    assert mine.exit_code == 0, mine.output
    assert "90910000-9 Cleaning services" in mine.output
    assert "80500000-9 Training services" in mine.output


def test_cpv_search_refused_by_the_service_is_one_line(needs: tuple[ServiceHandle, str]) -> None:
    handle, _ = needs
    result = cli(handle, "cpv", "search", "städ", "--limit", "100000")
    assert result.exit_code == 1
    assert "422" in result.output
    assert "limit" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_needs_list_pages_by_cursor(needs: tuple[ServiceHandle, str]) -> None:
    handle, _ = needs
    org = unique("arvika")
    for title in ("Första behovet", "Andra behovet"):
        created = cli(
            handle,
            "needs",
            "create",
            "--title",
            title,
            "--problem",
            "Ett problem att lösa.",
            "--cpv",
            "90910000",
            org=org,
        )
        assert created.exit_code == 0, created.output
    first = cli(handle, "needs", "list", "--mine", "--limit", "1", org=org)
    assert first.exit_code == 0, first.output
    assert "needs (1 or more)" in first.output
    cursor = first.output.split("next page: --cursor ")[1].split()[0]
    page = cli(
        handle, "--json", "needs", "list", "--mine", "--limit", "1", "--cursor", cursor, org=org
    )
    assert page.exit_code == 0, page.output
    answer = json.loads(page.output)
    assert len(answer["items"]) == 1
    assert answer["next"] is None
