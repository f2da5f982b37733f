"""The needs service."""
