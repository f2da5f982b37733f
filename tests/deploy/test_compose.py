"""docker-compose.yml cannot run here (no Docker engine): check what can be checked.

It parses, names every service and published port, and sets for each service every
variable its settings class needs (found by introspection, see `settings_vars`), so that a
new required setting fails here until the compose file sets it. The services' settings are
then built from the compose environment, as the containers would build them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tests.deploy import settings_vars
from tests.deploy.settings_vars import PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as the container sees it (`${VAR:-default}` -> default)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {
        str(k): INTERPOLATION.sub(lambda m: m.group("default") or "", str(v))
        for k, v in env.items()
    }


def published_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.add(int(entry["published"]))
        else:
            # "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER"
            parts = str(entry).split("/")[0].split(":")
            ports.add(int(parts[-2] if len(parts) > 1 else parts[-1]))
    return ports


def test_the_compose_file_parses_and_names_every_service(compose: dict[str, Any]) -> None:
    assert set(services(compose)) >= {"kafka", "mongodb", "mailpit", "demo", *SERVICES}
    for name, service in services(compose).items():
        assert "image" in service or "build" in service, f"{name} has neither image nor build"


def test_every_port_is_published(compose: dict[str, Any]) -> None:
    published = {name: published_ports(s) for name, s in services(compose).items()}
    assert 9092 in published["kafka"]
    assert 27017 in published["mongodb"]
    for name, port in PORTS.items():
        assert port in published[name], f"{name} does not publish {port}"


def test_kafka_runs_in_kraft_mode_without_topic_auto_creation(compose: dict[str, Any]) -> None:
    env = environment(services(compose)["kafka"])
    assert "controller" in env["KAFKA_PROCESS_ROLES"]
    assert "broker" in env["KAFKA_PROCESS_ROLES"]
    # The services create their topics with the partitions and compaction they need.
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    # The services reach Kafka on a listener that Kafka advertises under a reachable name.
    for name in PORTS:
        bootstrap = environment(services(compose)[name])["KAFKA_BOOTSTRAP_SERVERS"]
        assert bootstrap in env["KAFKA_ADVERTISED_LISTENERS"], bootstrap


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_gets_every_variable_it_needs(compose: dict[str, Any], name: str) -> None:
    settings_cls = SERVICES[name]
    env = environment(services(compose)[name])
    assert settings_vars.missing(settings_cls, env) == [], f"{name} lacks these variables"
    assert settings_vars.unknown(settings_cls, env) == [], f"{name} sets variables it never reads"
    upper = name.upper()
    assert env[f"{upper}_HOST"] == "0.0.0.0"  # reachable from outside the container
    assert env[f"{upper}_PORT"] == str(PORTS[name])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_settings_build_from_the_compose_environment(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_cls = SERVICES[name]
    for var in settings_vars.all_names(settings_cls):  # only what compose sets counts
        monkeypatch.delenv(var, raising=False)
    env = environment(services(compose)[name])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings: Any = settings_cls()
    assert settings.port == PORTS[name]
    assert settings.host == "0.0.0.0"
    assert settings.kafka_bootstrap_servers == env["KAFKA_BOOTSTRAP_SERVERS"]
    assert settings.mongodb_url == env["MONGODB_URL"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_is_built_from_the_dockerfile(compose: dict[str, Any], name: str) -> None:
    build = services(compose)[name]["build"]
    context = ROOT / build.get("context", ".")
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    assert dockerfile.is_file(), dockerfile
    text = dockerfile.read_text()
    assert re.search(r"^ARG SERVICE\b", text, re.MULTILINE), "the Dockerfile reads no SERVICE"
    assert build["args"]["SERVICE"] == name
    assert (ROOT / "services" / name / "src" / name / "__main__.py").is_file()
    # What the Dockerfile copies exists.
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert (context / path).exists(), f"the Dockerfile copies {path}, which is missing"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_waits_for_its_infrastructure_and_checks_readiness(
    compose: dict[str, Any], name: str
) -> None:
    service = services(compose)[name]
    for dependency in ("kafka", "mongodb"):
        assert service["depends_on"][dependency]["condition"] == "service_healthy"
    check = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{PORTS[name]}/health/ready" in check
    assert "PORT_FOR_HEALTH" not in check
    for dependency in ("kafka", "mongodb"):
        assert services(compose)[dependency]["healthcheck"]["test"]


def test_the_demo_runs_once_when_the_services_are_healthy(compose: dict[str, Any]) -> None:
    demo = services(compose)["demo"]
    command = demo["command"]
    command = command if isinstance(command, str) else " ".join(command)
    assert "python -m marketplace_tools.demo" in command
    assert demo.get("restart", "no") == "no"
    for name in PORTS:
        assert demo["depends_on"][name]["condition"] == "service_healthy"
    env = environment(demo)
    for name, port in PORTS.items():
        assert env[f"MARKETPLACE_{name.upper()}_URL"] == f"http://{name}:{port}"
    assert "MARKETPLACE_JWT_SECRET" in env  # to sign its development tokens


def test_notifications_sends_to_the_mail_catcher(compose: dict[str, Any]) -> None:
    notifications, mailpit = services(compose)["notifications"], services(compose)["mailpit"]
    env = environment(notifications)
    assert env["SMTP_HOST"] == "mailpit"
    assert env["SMTP_PORT"] == "1025"
    assert {1025, 8025} <= published_ports(mailpit)  # SMTP, and the web UI for the host
    assert notifications["depends_on"]["mailpit"]["condition"] == "service_healthy"
    assert mailpit["healthcheck"]["test"]


def test_a_new_required_setting_is_reported_missing() -> None:
    """The introspection sees a field without a default, prefixed or aliased."""

    class WithNewSetting(SERVICES["needs"]):  # type: ignore[misc,valid-type]
        model_config = SettingsConfigDict(env_prefix="NEEDS_", extra="ignore")
        search_url: str
        api_key: str = Field(validation_alias="SEARCH_API_KEY")

    env = {"NEEDS_HOST": "0.0.0.0", "NEEDS_PORT": "8001", "MONGODB_URL": "x"}
    gaps = settings_vars.missing(WithNewSetting, env)
    assert {"NEEDS_SEARCH_URL", "SEARCH_API_KEY", "KAFKA_BOOTSTRAP_SERVERS"} <= set(gaps)
    assert "NEEDS_HOST" not in gaps
    assert "MONGODB_URL" not in gaps
    assert settings_vars.missing(BaseSettings, {}) == []
