"""Which environment variables the services read, found by introspecting their settings.

The deployment tests (`test_compose.py`, `test_k8s.py`) check that every variable a
service needs is set, without a hand-written list that would silently go stale: the names
come from each settings class's `model_fields`, its `env_prefix` and the fields'
`validation_alias` choices, exactly as pydantic-settings resolves them.

A field must be set by a deployment when it has no default (a new required setting makes
the tests fail until the deployments set it), or when its default is only right on a
developer's machine (`DEPLOYMENT_FIELDS`: where Kafka, the database and the SMTP relay are,
the signing key, the address to listen on, the sender and the addresses links point to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from matching.settings import MatchingSettings
from needs.settings import NeedsSettings
from notifications.settings import NotificationsSettings
from suppliers.settings import SuppliersSettings

SERVICES: dict[str, type[BaseSettings]] = {
    "needs": NeedsSettings,
    "suppliers": SuppliersSettings,
    "matching": MatchingSettings,
    "notifications": NotificationsSettings,
}
PORTS = {"needs": 8001, "suppliers": 8002, "matching": 8003, "notifications": 8004}

# Defaults that are right for a developer's machine and wrong in any deployment.
DEPLOYMENT_FIELDS = frozenset(
    {
        *("kafka_bootstrap_servers", "mongodb_url", "jwt_secret", "host", "port", "topic_prefix"),
        # notifications: the relay, and what its messages say they come from and link to
        *("smtp_host", "smtp_port", "smtp_security", "mail_from", "portal_url", "public_url"),
    }
)


@dataclass(frozen=True)
class SettingVar:
    """One setting and the environment variable names that set it (any one will do)."""

    field: str
    names: tuple[str, ...]
    required: bool

    @property
    def preferred(self) -> str:
        return self.names[0]

    def is_set_in(self, env: Mapping[str, object]) -> bool:
        upper = {k.upper() for k in env}
        return any(name.upper() in upper for name in self.names)


def env_names(settings_cls: type[BaseSettings], name: str, field: FieldInfo) -> tuple[str, ...]:
    """The variable names pydantic-settings reads for one field, in its order of priority."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return (alias.upper(),)
    if isinstance(alias, AliasChoices):
        return tuple(c.upper() for c in alias.choices if isinstance(c, str))
    if field.alias:
        return (field.alias.upper(),)
    prefix = str(settings_cls.model_config.get("env_prefix") or "")
    return (f"{prefix}{name}".upper(),)


def setting_vars(settings_cls: type[BaseSettings]) -> list[SettingVar]:
    return [
        SettingVar(
            field=name,
            names=env_names(settings_cls, name, field),
            required=field.is_required() or name in DEPLOYMENT_FIELDS,
        )
        for name, field in settings_cls.model_fields.items()
    ]


def required_vars(settings_cls: type[BaseSettings]) -> list[SettingVar]:
    return [v for v in setting_vars(settings_cls) if v.required]


def all_names(settings_cls: type[BaseSettings]) -> set[str]:
    """Every variable name the class reads (for catching typos in deployments)."""
    return {n for v in setting_vars(settings_cls) for n in v.names}


def missing(settings_cls: type[BaseSettings], env: Mapping[str, object]) -> list[str]:
    """The required settings `env` leaves unset, each named by its preferred variable."""
    return [v.preferred for v in required_vars(settings_cls) if not v.is_set_in(env)]


def unknown(settings_cls: type[BaseSettings], names: Iterable[str]) -> list[str]:
    """Names in a deployment's environment that the service does not read (typos)."""
    known = all_names(settings_cls)
    return sorted(n for n in names if n.upper() not in known)
