"""Metrics and traces: Prometheus for counts and latencies, OpenTelemetry for traces.

FastStream's own middlewares measure consumed and published events and carry the W3C trace
context (``traceparent``) in Kafka headers, so one trace follows a need from the HTTP call
that published it, through matching, to the supplier's inbox. HTTP requests are measured
here and traced by OpenTelemetry's FastAPI instrumentation. Spans are exported where the
operator points them: ``MARKETPLACE_TRACE_CONSOLE=true`` prints them as JSON lines; an
OTLP exporter can be added to the same provider.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import Request
from starlette.responses import Response


class Observability:
    def __init__(self, service: str, exporter: SpanExporter | None = None) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.outbox_pending = Gauge(
            "outbox_pending_events",
            "events written but not yet acknowledged by Kafka",
            registry=self.registry,
        )
        self.outbox_published = Gauge(
            "outbox_published_events",
            "events the relay published since start",
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "dead_lettered_messages",
            "messages sent to a dead-letter topic since start",
            registry=self.registry,
        )
        self.tracer_provider = TracerProvider(
            resource=Resource.create({"service.name": f"marketplace-{service}"})
        )
        if exporter is None and os.environ.get("MARKETPLACE_TRACE_CONSOLE", "").lower() in (
            "1",
            "true",
            "yes",
        ):
            exporter = ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + "\n")
        if exporter is not None:
            self.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))

    def broker_middlewares(self) -> list[Any]:
        return [
            KafkaTelemetryMiddleware(tracer_provider=self.tracer_provider),
            KafkaPrometheusMiddleware(registry=self.registry, app_name=self.service),
        ]

    async def http_middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        # The route template, not the path, so that ids do not explode the label set.
        name = getattr(route, "path", "unmatched")
        self.http_requests.labels(request.method, name, str(response.status_code)).inc()
        self.http_seconds.labels(request.method, name).observe(time.perf_counter() - started)
        return response


@contextlib.contextmanager
def continued_trace(headers: dict[str, str]) -> Iterator[None]:
    """Make the trace context carried in a record's headers (``traceparent``) current, so
    that what is published while handling that record joins its trace; for batches,
    whose consume span cannot be the parent of every record's outputs."""
    token = otel_context.attach(propagate.extract(headers))
    try:
        yield
    finally:
        otel_context.detach(token)
