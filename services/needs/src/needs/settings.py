"""Settings of the needs service (environment prefix `NEEDS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class NeedsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NEEDS_", extra="ignore")

    service_name: str = "needs"
    database_name: str = "marketplace_needs"
    port: int = 8001
    # Build the CPV search index in the background at start, so that the first person to
    # search codes does not wait for it (about 1.5 s of one core).
    warm_reference_index: bool = True

    # Open data (OCDS). The prefix is registered with the Open Contracting Partnership; the
    # placeholder marks releases of an installation that has not registered one yet.
    ocds_ocid_prefix: str = Field("ocds-xxxxxx", pattern=r"^ocds-[a-z0-9]{6}$")
    ocds_publisher_name: str = "Innovationsmarknaden"
    ocds_publisher_uri: str | None = None
    ocds_license: str | None = "https://creativecommons.org/publicdomain/zero/1.0/"
    ocds_publication_policy: str | None = None
    # Organisation numbers the parties are identified by (SE-BLV), e.g.
    # NEEDS_OCDS_ORGANISATION_NUMBERS='{"karlstad": "212000-1744"}'; others go without.
    ocds_organisation_numbers: dict[str, str] = Field(default_factory=dict)
