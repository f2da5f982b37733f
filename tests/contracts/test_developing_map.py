"""docs/DEVELOPING.md stays true: every path it names exists, and its picture of the house
shows every topic and who publishes and consumes it as the code does (no infrastructure)."""

from __future__ import annotations

import re
from pathlib import Path

from marketplace_contracts.topics import TOPIC_SPECS, Topics

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "DEVELOPING.md"
BACKENDS = ("needs", "suppliers", "matching")  # the services `<name>` stands for
MAILER = "notifications"  # consumes, publishes nothing, sends e-mail
SERVICES = (*BACKENDS, MAILER, "portal")
EXTENSIONS = (".py", ".sh", ".md", ".yml", ".yaml", ".toml", ".json", ".html", ".csv", ".txt")
FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.S | re.M)
EDGE = re.compile(r"^\s*(\w+)\s*(?:-->|-\.->)\s*(?:\|[^|\n]*\|\s*)?(\w+)\s*$", re.M)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def picture(text: str) -> str:
    """The first fenced block, which must be the Mermaid flowchart."""
    found = FENCE.search(text)
    assert found is not None, "DEVELOPING.md has no fenced block"
    return found.group(0)


def path_tokens(text: str) -> list[str]:
    """Inline code spans (outside fenced blocks) that look like repository paths: no
    spaces, a `/` or a file extension, not a URL path (leading `/`) nor a glob."""
    tokens: list[str] = []
    for span in re.findall(r"`([^`\n]+)`", FENCE.sub("", text)):
        token = span.strip()
        if not re.fullmatch(r"[\w.\-/<>]+", token) or token.startswith(("/", ".")):
            continue
        if "/" in token or token.endswith(EXTENSIONS):
            tokens.append(token)
    return tokens


def expand(token: str) -> list[str]:
    """`<name>` stands for each of the three backend services; other placeholders are
    not paths."""
    if "<name>" in token:
        return [token.replace("<name>", name) for name in BACKENDS]
    return [] if "<" in token else [token]


def missing_paths(text: str) -> list[str]:
    return sorted(
        {
            path
            for token in path_tokens(text)
            for path in expand(token)
            if not (ROOT / path).exists()
        }
    )


def table_rows(text: str) -> list[str]:
    section = text.split("## To change X, open Y", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [r for r in rows[2:]]  # without the header and its rule


def edges(block: str) -> set[tuple[str, str]]:
    return set(EDGE.findall(block))


def subscribed(service: str) -> set[str]:
    source = (ROOT / f"services/{service}/src/{service}/entrypoints/consumers.py").read_text()
    return set(re.findall(r"subscribe(?:_batch)?\(\s*runtime,\s*\"(\w+)\"", source))


def declared(service: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / f"services/{service}/src/{service}").rglob("*.py"):
        source = path.read_text()
        found |= set(re.findall(r"declare_publication\(\s*\"(\w+)\"", source))
        # Outbox entries built as (logical topic, envelope(...)).
        found |= set(re.findall(r"return\s+\"(\w+)\",\s*envelope\(", source))
    return found


# --- paths ---------------------------------------------------------------------------------


def test_every_path_in_backticks_exists() -> None:
    text = doc_text()
    assert len(path_tokens(text)) >= 30, "the path parser found too few paths to trust"
    missing = missing_paths(text)
    assert not missing, f"DEVELOPING.md names paths that do not exist: {missing}"


def test_a_wrong_path_is_caught() -> None:
    text = doc_text() + "\nSee `services/needs/src/needs/domain/nowhere.py` and `bench/`.\n"
    assert missing_paths(text) == ["services/needs/src/needs/domain/nowhere.py"]


def test_the_table_has_15_to_25_rows_each_opening_a_real_path() -> None:
    rows = table_rows(doc_text())
    assert 15 <= len(rows) <= 25, f"{len(rows)} rows"
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 2, row
        opened = [p for t in path_tokens(cells[1]) for p in expand(t)]
        assert opened, f"the row names no path: {row}"
        assert all((ROOT / p).exists() for p in opened), row


# --- the picture -------------------------------------------------------------------------


def test_the_doc_opens_with_a_mermaid_flowchart() -> None:
    text = doc_text()
    block = picture(text)
    assert block.startswith("```mermaid\nflowchart")
    assert text.index(block) < text.index("## To change X, open Y")
    assert text.index(block) < text.index("## Developing a service")


def test_every_topic_and_service_is_in_the_picture() -> None:
    block = picture(doc_text())
    topics = Topics()
    for spec in TOPIC_SPECS:
        assert topics.name(spec.name) in block, f"topic {topics.name(spec.name)} is not drawn"
    for service in SERVICES:
        assert re.search(rf"^\s*{service}\[", block, re.M), f"service {service} is not drawn"
    for service in BACKENDS:
        assert f"{service}_db[(" in block, f"the database of {service} is not drawn"


def test_the_arrows_are_the_subscriptions_and_publications_of_the_code() -> None:
    drawn = edges(picture(doc_text()))
    for service in BACKENDS:
        consumed = subscribed(service)
        published = declared(service)
        assert consumed and published, service  # the parsers still find them
        for topic in consumed:
            assert (f"t_{topic}", service) in drawn, f"{service} consumes {topic}: not drawn"
        for topic in published:
            assert (service, f"t_{topic}") in drawn, f"{service} publishes {topic}: not drawn"
        drawn_out = {t for s, t in drawn if s == service and t.startswith("t_")}
        assert drawn_out == {f"t_{t}" for t in published}, f"{service} publishes {drawn_out}"


def test_the_mailer_is_drawn_with_its_database_and_what_it_consumes() -> None:
    block = picture(doc_text())
    drawn = edges(block)
    source = (ROOT / f"services/{MAILER}/src/{MAILER}/entrypoints/consumers.py").read_text()
    consumed = set(re.findall(r"\(\s*\"(\w+)\",\s*ev\.\w+", source))
    assert consumed == {"matches", "alerts", "scaling"}, consumed  # the parser still finds them
    for topic in consumed:
        assert (f"t_{topic}", MAILER) in drawn, f"{MAILER} consumes {topic}: not drawn"
    assert f"{MAILER}_db[(" in block
    assert not {t for s, t in drawn if s == MAILER and t.startswith("t_")}, "it publishes nothing"
