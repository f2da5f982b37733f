"""The `marketplace` command (`marketplace = marketplace_tools.cli:main`)."""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
