"""The HTTP side every service shares: app factory, clear 4xx errors, health, AsyncAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.specification.asyncapi.site import get_asyncapi_html
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from .outbox import ConcurrentModification
from .runtime import ServiceRuntime

# The domain errors live in `errors` (consumers use them too); services import them here.
__all__ = ["Conflict", "DomainError", "Forbidden", "Invalid", "NotFound", "create_app"]


def _printable(value: str) -> bool:
    """Short, and writable as UTF-8 (a lone surrogate is refused, not echoed)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(value) <= 100


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        entry: dict[str, Any] = {
            "field": ".".join(loc) or "body",
            "rule": err.get("type", "invalid"),
            # pydantic prefixes a validator's own message; the message alone is the rule.
            "message": err.get("msg", "invalid value").removeprefix("Value error, "),
        }
        given = err.get("input")
        if isinstance(given, str | int | float) and _printable(str(given)):
            entry["value"] = given  # what was refused, for a message beside the field
        out.append(entry)
    return out


def install_error_handlers(app: FastAPI) -> None:
    """The one mapping of errors to HTTP answers (`create_app` installs it in every
    service): a refused request body, a domain refusal (`errors.DomainError` and every
    service's subclasses of it, by their `status`) and a write that lost a race."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return JSONResponse(status_code=422, content={"detail": summary, "errors": errors})

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=exc.body())

    @app.exception_handler(ConcurrentModification)
    async def _conflict(_: Request, exc: ConcurrentModification) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": f"{exc}; retry the request"})


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness with the state of Kafka and the database")
    async def health() -> dict[str, Any]:
        return await runtime.health()

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        await runtime.refresh_metrics()
        return Response(
            generate_latest(runtime.observability.registry), media_type=CONTENT_TYPE_LATEST
        )

    @router.get("/health/live", summary="The process answers")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready", summary="Ready to serve: Kafka and the database are up")
    async def ready(response: Response) -> dict[str, Any]:
        state = await runtime.health()
        if state["status"] != "ok":
            response.status_code = 503
        return state

    return router


def asyncapi_router(runtime: ServiceRuntime, title: str, description: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/asyncapi.json", summary="AsyncAPI document of this service's events")
    async def asyncapi_json() -> Response:
        spec = runtime.asyncapi(title, description).to_specification()
        return Response(spec.to_json(), media_type="application/json")

    @router.get("/asyncapi", response_class=HTMLResponse, include_in_schema=False)
    async def asyncapi_html() -> HTMLResponse:
        spec = runtime.asyncapi(title, description).to_specification()
        return HTMLResponse(get_asyncapi_html(spec))

    return router


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    on_start: Sequence[Callable[[], Awaitable[None]]] = (),
    on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        for hook in on_start:
            await hook()
        try:
            yield
        finally:
            for hook in on_stop:
                await hook()
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.settings = runtime.settings
    app.state.runtime = runtime
    install_error_handlers(app)
    app.middleware("http")(runtime.observability.http_middleware)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.observability.tracer_provider,
        excluded_urls="health,metrics",
    )
    app.include_router(health_router(runtime))
    app.include_router(asyncapi_router(runtime, title, description))
    for router in routers:
        app.include_router(router)
    _document_validation_errors(app)
    return app


# What a 422 really carries (see `install_error_handlers`); FastAPI's default document says
# `detail` is a list, which contradicts every 422 the services send.
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "a summary naming the fields"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def _document_validation_errors(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
