"""``create_app``: the FastAPI application over one Container."""

from __future__ import annotations

from fastapi import FastAPI

from evinfra import __version__
from evinfra.api.errors import install_error_handlers
from evinfra.api.routes import health
from evinfra.bootstrap import Container, bootstrap


def create_app(container: Container | None = None) -> FastAPI:
    container = container or bootstrap()
    app = FastAPI(
        title="evinfra 山西省电动汽车充电基础设施平台",
        version=__version__,
        description="Provincial EV-charging supervision and planning platform (T/CEC 102 data hub).",
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(health.router)
    return app
