"""The portal's pages: FastAPI routes rendering Jinja2 templates over the services' APIs.

Reading works without JavaScript; htmx (from npm, served from node_modules) adds the live
preview while a buyer drafts a need and the CPV code picker's search and suggestions (HTML
fragments over the needs service's reference API), and a few lines of `portal.js` add the
picker's chips and the live inbox (server-sent events relayed from the needs or suppliers
service). Without JavaScript, CPV codes are typed into a text field instead. An
organisation's e-mail contacts are the notifications service's; outside production, the
mail the local capture server took is shown at /dev/mail.

This module only wires the app: the routes are in `portal.routes`, by area, each built from
the shared `portal.pages.Pages`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .api import Api
from .headers import SecurityHeaders
from .identity import DevSignIn, IdentityProvider
from .pages import Pages, safe_next
from .routes import (
    auth,
    contacts,
    cpv,
    dev_mail,
    errors,
    general,
    inbox,
    needs,
    solutions,
    subscriptions,
    supplier_solutions,
    webhooks,
)
from .session import SessionMiddleware
from .settings import PortalSettings

__all__ = ["build", "default_node_modules", "safe_next"]

HERE = Path(__file__).resolve().parent
# In this order: a path that several routes could take goes to the first one.
ROUTERS = (
    general,
    auth,
    cpv,
    needs,
    solutions,
    inbox,
    supplier_solutions,
    subscriptions,
    webhooks,
    contacts,
)


def default_node_modules() -> Path:
    # services/portal/src/portal -> services/portal/node_modules
    return HERE.parents[1] / "node_modules"


def build(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    if settings.dev_signin and settings.environment == "production":
        raise ValueError("PORTAL_DEV_SIGNIN must be false in production: plug in OIDC")
    identity: IdentityProvider = DevSignIn(
        settings.jwt_secret.get_secret_value(), settings.jwt_issuer
    )
    api = Api(
        settings.needs_url,
        settings.suppliers_url,
        settings.matching_url,
        settings.notifications_url,
        settings.upstream_timeout_s,
    )
    node_modules = Path(settings.node_modules) if settings.node_modules else default_node_modules()
    pages = Pages(
        settings=settings,
        api=api,
        identity=identity,
        templates=Jinja2Templates(directory=str(HERE / "templates")),
        node_modules=node_modules,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await api.close()

    app = FastAPI(title="Marketplace portal", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    errors.install(app, pages)
    for area in ROUTERS:
        app.include_router(area.build_router(pages))
    if settings.environment != "production":
        app.include_router(dev_mail.build_router(pages))

    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        key=settings.session_key(),
        max_age_s=settings.session_max_age_s,
        secure=settings.cookie_secure,
    )
    return app
