"""The Kubernetes manifests in deploy/k8s, validated without a cluster.

Every YAML document parses and has the fields the API server requires; the kustomization
lists every manifest there is; each Deployment has its probes, resource requests, an image
and a container port that its Service targets; and the environment each container gets
(its own `env` plus the ConfigMap and Secret it names in `envFrom`) sets every variable the
service's settings need, found by introspection as in `test_compose.py`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_platform.settings import DEV_JWT_SECRET
from tests.deploy import settings_vars
from tests.deploy.settings_vars import PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
JWT_SECRET = "MARKETPLACE_JWT_SECRET"


def load_all() -> dict[str, list[dict[str, Any]]]:
    """Every manifest file's documents (the kustomization excluded)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(K8S.glob("*.y*ml")):
        if path.name.startswith("kustomization"):
            continue
        out[path.name] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return out


@pytest.fixture(scope="module")
def manifests() -> dict[str, list[dict[str, Any]]]:
    return load_all()


@pytest.fixture(scope="module")
def objects(manifests: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [doc for docs in manifests.values() for doc in docs]


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    document = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert isinstance(document, dict)
    return document


def one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def container_env(objects: list[dict[str, Any]], c: dict[str, Any]) -> dict[str, str]:
    """What the container's process sees: envFrom sources first, then `env` on top."""
    env: dict[str, str] = {}
    for source in c.get("envFrom") or []:
        if "configMapRef" in source:
            cm = one(objects, "ConfigMap", source["configMapRef"]["name"])
            env.update({k: str(v) for k, v in (cm.get("data") or {}).items()})
        elif "secretRef" in source:
            secret = one(objects, "Secret", source["secretRef"]["name"])
            env.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
            env.update({k: "(base64)" for k in secret.get("data") or {}})
    for item in c.get("env") or []:
        env[item["name"]] = str(item.get("value", "(from valueFrom)"))
    return env


def test_every_document_parses_and_has_the_required_fields(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    assert manifests, "no manifests in deploy/k8s"
    for name, docs in manifests.items():
        assert docs, f"{name} is empty"
        for doc in docs:
            for key in ("apiVersion", "kind", "metadata"):
                assert key in doc, f"{name}: a document lacks {key}"
            assert doc["metadata"].get("name"), f"{name}: a {doc['kind']} has no name"


def test_the_kustomization_lists_every_manifest(
    kustomization: dict[str, Any], manifests: dict[str, list[dict[str, Any]]]
) -> None:
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert sorted(resources) == sorted(manifests), "resources and files differ"
    assert len(set(resources)) == len(resources)
    assert kustomization.get("namespace") == "marketplace"


def test_the_namespace_and_the_kinds_are_there(objects: list[dict[str, Any]]) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("Namespace", "marketplace") in kinds
    for name in SERVICES:
        assert ("Deployment", name) in kinds
        assert ("Service", name) in kinds


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_deployment_has_probes_resources_an_image_and_its_port(
    objects: list[dict[str, Any]], name: str
) -> None:
    deployment = one(objects, "Deployment", name)
    spec = deployment["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    c = container(deployment)
    assert c["image"], "no image"
    assert c["resources"]["requests"]["cpu"]
    assert c["resources"]["requests"]["memory"]
    ports = {p.get("name"): p["containerPort"] for p in c["ports"]}
    assert PORTS[name] in ports.values()
    probes = {
        "readinessProbe": "/health/ready",
        "livenessProbe": "/health/live",
    }
    for probe, path in probes.items():
        get = c[probe]["httpGet"]
        assert get["path"] == path, f"{probe} of {name}"
        assert get["port"] in (PORTS[name], *[n for n, p in ports.items() if p == PORTS[name]])

    service = one(objects, "Service", name)
    assert service["spec"]["selector"].items() <= labels.items(), "the Service selects no pod"
    targets = [p.get("targetPort", p["port"]) for p in service["spec"]["ports"]]
    assert any(t == PORTS[name] or ports.get(t) == PORTS[name] for t in targets)
    assert PORTS[name] in [p["port"] for p in service["spec"]["ports"]]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_container_gets_every_variable_its_service_needs(
    objects: list[dict[str, Any]], name: str
) -> None:
    c = container(one(objects, "Deployment", name))
    refs = {next(iter(s)) for s in c["envFrom"]}
    assert refs == {"configMapRef", "secretRef"}
    env = container_env(objects, c)
    settings_cls = SERVICES[name]
    assert settings_vars.missing(settings_cls, env) == [], f"{name} lacks these variables"
    assert settings_vars.unknown(settings_cls, env) == [], f"{name} gets variables it never reads"
    assert env[f"{name.upper()}_HOST"] == "0.0.0.0"
    assert env[f"{name.upper()}_PORT"] == str(PORTS[name])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_settings_build_from_the_manifests_in_production(
    objects: list[dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_cls = SERVICES[name]
    for var in settings_vars.all_names(settings_cls):
        monkeypatch.delenv(var, raising=False)
    for key, value in container_env(objects, container(one(objects, "Deployment", name))).items():
        monkeypatch.setenv(key, value)
    settings: Any = settings_cls()
    assert settings.environment == "production"
    assert settings.port == PORTS[name]


def test_production_and_the_secret_only_in_the_secret(objects: list[dict[str, Any]]) -> None:
    config = one(objects, "ConfigMap", "marketplace-config")["data"]
    assert config["MARKETPLACE_ENVIRONMENT"] == "production"
    secrets = [o for o in objects if o["kind"] == "Secret"]
    holders = [s for s in secrets if JWT_SECRET in (s.get("stringData") or s.get("data") or {})]
    assert len(holders) == 1
    for o in objects:
        if o["kind"] == "ConfigMap":
            assert JWT_SECRET not in (o.get("data") or {}), "the JWT key is in a ConfigMap"
        if o["kind"] == "Deployment":
            names = [e["name"] for e in container(o).get("env") or []]
            assert JWT_SECRET not in names, "the JWT key is written into a Deployment"
    # The example is a placeholder, and not the public development key.
    value = holders[0]["stringData"][JWT_SECRET]
    assert "REPLACE-ME" in value
    assert value != DEV_JWT_SECRET


def test_matching_scales_out_as_one_consumer_group(objects: list[dict[str, Any]]) -> None:
    matching = one(objects, "Deployment", "matching")
    replicas = matching["spec"]["replicas"]
    assert replicas >= 2
    config = one(objects, "ConfigMap", "marketplace-config")["data"]
    # One group for all replicas: the group id comes from the prefix and the service name,
    # so nothing per-replica may override the prefix.
    c = container(matching)
    assert "MARKETPLACE_TOPIC_PREFIX" not in [e["name"] for e in c.get("env") or []]
    assert int(config["MARKETPLACE_TOPIC_PARTITIONS"]) >= replicas


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_manifests() -> None:
    """Where kubectl is installed (no cluster needed), kustomize itself renders them."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "marketplace"
    images = [container(d)["image"] for d in rendered if d["kind"] == "Deployment"]
    assert len(images) == len(SERVICES)
