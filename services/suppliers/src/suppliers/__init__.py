"""The suppliers service."""
