"""Event contracts, topics and reference data shared by every service."""
