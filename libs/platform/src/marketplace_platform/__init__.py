"""Platform code shared by every service."""
