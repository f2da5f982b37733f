"""Service layer: handlers of commands and events."""
