"""`make docs`: the AsyncAPI documents of the services and the JSON Schema of every event.

The AsyncAPI documents are generated from the services' FastStream brokers (their declared
subscribers and publications), never written by hand; the event schemas come from the
pydantic models in `marketplace_contracts.events` and are kept under version control, so a
test can tell when a change to a v1 event is not additive.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html

from marketplace_contracts.events import EVENT_TYPES, CloudEvent

SERVICES = ("needs", "suppliers", "matching", "notifications")


def event_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event's payload, by event type, plus the envelope."""
    out = {name: model.model_json_schema() for name, model in sorted(EVENT_TYPES.items())}
    out["cloudevent.envelope"] = CloudEvent.model_json_schema()
    return out


def service_runtimes() -> dict[str, Any]:
    """Build each service (without starting it) to read its broker's declarations."""
    runtimes = {}
    for name in SERVICES:
        bootstrap = importlib.import_module(f"{name}.bootstrap")
        app = bootstrap.build()
        runtimes[name] = app.state.runtime
    return runtimes


def system_asyncapi(runtimes: dict[str, Any]) -> AsyncAPI:
    return AsyncAPI(
        *(runtime.broker for runtime in runtimes.values()),
        title="Marketplace for demand-driven innovation procurement",
        version="1.0.0",
        description=(
            "Every event the needs, suppliers, matching and notifications services publish"
            " and consume."
        ),
        schema_version="3.0.0",
    )


def write_docs(root: Path) -> list[Path]:
    written: list[Path] = []
    events_dir = root / "docs" / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        path = events_dir / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    api_dir = root / "docs" / "asyncapi"
    api_dir.mkdir(parents=True, exist_ok=True)
    runtimes = service_runtimes()
    for name, runtime in runtimes.items():
        spec = runtime.asyncapi(f"Marketplace {name} service", f"Events of {name}")
        (api_dir / f"{name}.json").write_text(spec.to_specification().to_json() + "\n")
        written.append(api_dir / f"{name}.json")
    system = system_asyncapi(runtimes).to_specification()
    (api_dir / "system.json").write_text(system.to_json() + "\n")
    (api_dir / "system.html").write_text(get_asyncapi_html(system))
    written += [api_dir / "system.json", api_dir / "system.html"]
    return written


def main() -> None:
    root = Path.cwd()
    for path in write_docs(root):
        print(f"wrote {path.relative_to(root)}")


if __name__ == "__main__":
    main()
