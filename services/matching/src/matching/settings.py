"""Settings of the matching service (environment prefix `MATCHING_`)."""

from __future__ import annotations

import uuid

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings

from .domain.scoring import ScoringWeights


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    database_name: str = "marketplace_matching"
    port: int = 8003
    # Weights of the score components (documented in matching.domain.scoring); they must
    # sum to 1.
    weight_cpv: float = Field(0.30, ge=0, le=1)
    weight_text: float = Field(0.35, ge=0, le=1)
    weight_region: float = Field(0.10, ge=0, le=1)
    weight_fit: float = Field(0.15, ge=0, le=1)
    weight_social_proof: float = Field(0.10, ge=0, le=1)
    threshold: float = Field(0.3, ge=0, le=1, description="minimum score of a match")
    top_k: int = Field(10, ge=1, le=100, description="matches emitted per need at most")
    scaling_threshold: float = Field(
        0.3, ge=0, le=1, description="minimum resemblance for a scaling opportunity"
    )
    instance_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:8])

    def weights(self) -> ScoringWeights:
        return ScoringWeights(
            cpv=self.weight_cpv,
            text=self.weight_text,
            region=self.weight_region,
            fit=self.weight_fit,
            social_proof=self.weight_social_proof,
            threshold=self.threshold,
        )
