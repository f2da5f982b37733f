"""Thin entrypoints: the HTTP API and the Kafka subscribers."""
